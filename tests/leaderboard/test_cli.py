"""`decomp leaderboard` end to end: rows with a known answer in, the same files byte for byte out."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from decomp.cli import main
from tests.leaderboard.test_rows import make_row, write

SIZES = (8, 32, 128, 512)


def known_rows() -> list[dict]:
    """explicit-hybrid is 30 points better than none at k=8 and 32 and equal from k=128 on, over 3 seeds."""
    rows = []
    for seed in range(3):
        for k in SIZES:
            base = {f"q{i}": float((i + seed) % 2) for i in range(40)}
            better = {q: 1.0 if int(q[1:]) < 12 else v for q, v in base.items()} if k < 128 else base
            meta = {q: {"answer_type": "number", "operators": ["select", "arithmetic"]} for q in base}
            for strategy, scores in (("none", base), ("explicit-hybrid", better)):
                rows.append(make_row(f"{strategy}/k={k}/seed={seed}", scores, strategy=strategy, k=k,
                                     subset_seed=seed, meta=meta, n_train=k))
    return rows


def run(runs: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["leaderboard", "--runs", str(runs), "--out", str(out), "--n-boot", "200"])
    return code, capsys.readouterr()


def test_the_report_is_a_pure_function_of_the_rows(tmp_path, capsys):
    rows = known_rows()
    write(tmp_path / "a" / "curve" / "results.jsonl", rows)
    shuffled = random.Random(3).sample(rows, len(rows))
    write(tmp_path / "b" / "x" / "results.jsonl", shuffled[:30])
    write(tmp_path / "b" / "y" / "results.jsonl", shuffled[30:])
    assert run(tmp_path / "a", tmp_path / "out1", capsys)[0] == 0
    assert run(tmp_path / "b", tmp_path / "out2", capsys)[0] == 0
    first = {p.relative_to(tmp_path / "out1"): p.read_bytes() for p in (tmp_path / "out1").rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "out2"): p.read_bytes() for p in (tmp_path / "out2").rglob("*") if p.is_file()}
    assert set(first) == set(second) >= {Path("README.md"), Path("leaderboard.json"), Path("curves.csv"),
                                         Path("leaderboard.html")}
    for name in first:
        if name.suffix in (".md", ".json", ".csv"):  # the command names the folders, which differ here
            assert first[name].replace(b"/a", b"/b").replace(b"out1", b"out2") == second[name], name
    board = json.loads(first[Path("leaderboard.json")])
    (crossover,) = [c for c in board["groups"][0]["crossovers"] if c["metric"] == "em"]
    assert (crossover["strategy"], crossover["k"]) == ("explicit-hybrid", 128)
    differences = {d["k"]: d["em"]["mean"] for d in board["groups"][0]["differences"]}
    assert differences == {8: pytest.approx(15.0), 32: pytest.approx(15.0), 128: 0.0, 512: 0.0}
    assert f"--runs {tmp_path / 'a'}" in first[Path("README.md")].decode()


def test_missing_and_malformed_rows_are_clear_errors(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out = run(tmp_path / "empty", tmp_path / "out", capsys)
    assert code == 2 and "no result rows found" in out.err and str(tmp_path / "empty") in out.err
    bad = known_rows()[:3]
    del bad[1]["em"]
    path = write(tmp_path / "bad" / "results.jsonl", bad)
    code, out = run(tmp_path / "bad", tmp_path / "out", capsys)
    assert code == 2 and str(path) in out.err and "row 2" in out.err and "'em'" in out.err
    assert not (tmp_path / "out").exists()  # nothing written from bad rows


def test_the_bootstrap_is_chosen_by_flag_and_recorded(tmp_path, capsys):
    """The default draws passages whole; `--bootstrap passages-questions` is named in the command the report
    records (so the committed-report check replays it) and in its provenance; an unknown name is refused by its
    flag before anything is written."""
    write(tmp_path / "rows" / "results.jsonl", known_rows())
    boards = {}
    for name, extra in (("passages", []), ("passages-questions", ["--bootstrap", "passages-questions"])):
        out = tmp_path / name
        assert main(["leaderboard", "--runs", str(tmp_path / "rows"), "--out", str(out), "--n-boot", "200",
                     *extra]) == 0
        boards[name] = json.loads((out / "leaderboard.json").read_text())["provenance"]
        assert f"`{name}`" in (out / "README.md").read_text()
    assert boards["passages"]["bootstrap"] == "passages" and "--bootstrap" not in boards["passages"]["command"]
    assert boards["passages-questions"]["command"].endswith("--bootstrap passages-questions")
    with pytest.raises(SystemExit):
        main(["leaderboard", "--runs", str(tmp_path / "rows"), "--out", str(tmp_path / "bad"), "--bootstrap", "x"])
    assert "--bootstrap: invalid choice: 'x'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
