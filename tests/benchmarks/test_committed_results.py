"""The committed benchmark results that are functions of committed rows (no timing) are what those rows give,
and the figures the leaderboard notes quote from them are in them: a row added, changed or removed makes these
fail until the benchmark is rerun and the notes say what it now gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import fit_cost, seed_width
from decomp.leaderboard.rows import load_rows

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
NOTES = ROOT / "leaderboard" / "notes.md"
FIT_COST = sorted(RESULTS.glob("fit-cost-*.json"))
SEED_WIDTH = sorted(RESULTS.glob("seed-width-*.json"))
RATIO = re.compile(r"(?<![\d.])(\d+\.\d\d)x\b")  # "9.98x": fit-cost ratios carry two decimals
HALF_WIDTH = re.compile(r"±(\d+\.\d\d)\b")  # "±4.19": seed-width half-widths carry two decimals


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_committed_results_to_check():
    assert FIT_COST and SEED_WIDTH, "no committed fit-cost or seed-width result: these checks would pass on nothing"


@pytest.mark.parametrize("path", FIT_COST, ids=lambda p: p.name)
def test_each_fit_cost_result_is_what_its_committed_rows_give(path, monkeypatch):
    committed = _load(path)
    monkeypatch.chdir(ROOT)  # the result names its rows relative to the repository, as its command ran
    paired = committed.get("paired_cpu", False)
    fresh = fit_cost.compare(Path(committed["old"]), Path(committed["new"]), paired_cpu=paired)
    assert {"paired_cpu": False, **{k: v for k, v in committed.items() if k != "environment"}} == fresh, (
        f"{path.name} is stale: python -m benchmarks.fit_cost --old {committed['old']} --new {committed['new']}"
        + (" --paired-cpu" if paired else ""))


@pytest.mark.parametrize("path", SEED_WIDTH, ids=lambda p: p.name)
def test_each_seed_width_result_is_what_its_committed_rows_give(path):
    committed = _load(path)
    fresh = seed_width.widths(load_rows(ROOT / committed["rows"]), k=committed["k"], baseline=committed["baseline"],
                              n_boot=committed["n_boot"], seed=committed["seed"],
                              bootstrap=committed["bootstrap"])
    assert committed == {"rows": committed["rows"], **fresh}, (
        f"{path.name} is stale: python -m benchmarks.seed_width --rows {committed['rows']} --k {committed['k']} "
        f"--bootstrap {committed['bootstrap']}")


def quoted_but_absent(notes: str, pattern: re.Pattern, figures: set[str]) -> list[str]:
    return sorted({m.group(1) for m in pattern.finditer(notes)} - figures)


def test_the_notes_quote_fit_cost_ratios_the_results_hold():
    ratios = set()
    for path in FIT_COST:
        result = _load(path)
        ratios.add(f"{result['ratio_of_means']:.2f}")
        ratios.update(f"{c['ratio_old_over_new']:.2f}" for c in result["cells"])
    notes = NOTES.read_text(encoding="utf-8")
    assert RATIO.search(notes), "the notes quote no fit-cost ratio: the check below would pass on anything"
    assert quoted_but_absent(notes, RATIO, ratios) == []


def test_the_notes_quote_seed_widths_the_results_hold():
    halves = set()
    for path in SEED_WIDTH:
        result = _load(path)
        halves.update(f"{s['half_width']:.2f}" for s in result["subsets"])
        halves.update(f"{b[f]:.2f}" for b in result["by_n_seeds"] for f in ("mean_half_width", "min", "max"))
    notes = NOTES.read_text(encoding="utf-8")
    assert HALF_WIDTH.search(notes), "the notes quote no seed width: the check below would pass on anything"
    assert quoted_but_absent(notes, HALF_WIDTH, halves) == []


def test_a_stale_quote_is_caught():
    assert quoted_but_absent("gives 9.98x, then 3.12x", RATIO, {"9.98"}) == ["3.12"]
    assert quoted_but_absent("one seed ±4.19, three ±4.21", HALF_WIDTH, {"4.19", "4.21"}) == []
    assert quoted_but_absent("one seed ±4.19, three ±4.30", HALF_WIDTH, {"4.19", "4.21"}) == ["4.30"]


def test_seed_width_refuses_a_size_no_row_has(tmp_path):
    rows = ROOT / "leaderboard" / "runs" / "drop-cpu-adapted-long"
    with pytest.raises(SystemExit, match="--k 17: no row at that size"):
        seed_width.main(["--rows", str(rows), "--k", "17", "--out", str(tmp_path / "x.json")])
    assert not (tmp_path / "x.json").exists()
