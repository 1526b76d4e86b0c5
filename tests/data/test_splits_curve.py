"""A learning curve with the reference study's `splits` protocol, end to end on the official-layout fixtures."""

from __future__ import annotations

import pytest
import yaml

from decomp.cli import main
from decomp.curves.store import read_rows
from tests.curves.conftest import tiny_config
from tests.data.official import BREAK, SOURCES


@pytest.mark.slow
def test_splits_curve_on_the_fixture_layout(tmp_path):
    raw = tiny_config(name="tiny-splits", dataset="drop", sizes=[4, "all"], training_seeds=[0],
                      data={"protocol": "splits", "source": str(SOURCES["drop"]), "break_source": str(BREAK)})
    raw["tuning"].update(n_trials=0, space={"lr": 1.0e-3, "batch_size": 8, "epochs": 1})  # no search: one fit
    config = tmp_path / "curve.yaml"
    config.write_text(yaml.safe_dump(raw))
    assert main(["curve", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 0
    rows, bad = read_rows(tmp_path / "run" / "results.jsonl")
    assert not bad and len(rows) == 2
    for row in rows:
        assert row["protocol"] == "splits" and row["protocol_version"] == "splits-v1" and row["dataset"] == "drop"
        assert row["n_eval"] == 30 and all(i.startswith("DROP_dev_") for i in row["examples"])
    assert {r["k"] for r in rows} == {4, "all"}  # `all`: the whole BREAK-train side
