"""The synthetic-generation benchmark runs and writes what it prints (the figure itself is not a test)."""

from __future__ import annotations

import json

import pytest

from benchmarks import synthetic_speed


def test_synthetic_speed_writes_its_rounds(tmp_path, capsys):
    out = tmp_path / "speed.json"
    result = synthetic_speed.main(["--n", "40", "--rounds", "2", "--seed", "3", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert [(r["seed"], r["examples"]) for r in result["rounds"]] == [(3, 40), (4, 40)]
    assert all(r["seconds"] > 0 and r["examples_per_s"] > 0 for r in result["rounds"])
    assert result["examples_per_s_median"] == pytest.approx(sum(r["examples_per_s"] for r in result["rounds"]) / 2)
    assert "40 synthetic examples" in capsys.readouterr().out
    assert result["command"] == "python -m benchmarks.synthetic_speed --n 40 --rounds 2 --seed 3 --out " + str(out)
