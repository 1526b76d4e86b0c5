"""The README's quick-start figures come from the quick start's committed rows (`leaderboard/runs/quickstart/`):
every interval it quotes stands in the report those rows give, so a figure goes stale only with a failing test."""

from __future__ import annotations

import re
from pathlib import Path

from decomp.cli import main
from tests.leaderboard.test_committed import QUOTED_INTERVAL, stale_intervals

ROOT = Path(__file__).resolve().parents[1]
ROWS = ROOT / "leaderboard" / "runs" / "quickstart"
BLOCK = re.compile(r"<!-- quickstart-figures -->\n(.*?)<!-- /quickstart-figures -->", re.DOTALL)


def quickstart_block() -> str:
    found = BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md has no <!-- quickstart-figures --> block"
    return found.group(1)


def test_the_readme_quotes_the_quick_start_figures_its_committed_rows_give(tmp_path, monkeypatch):
    block = quickstart_block()
    assert len(QUOTED_INTERVAL.findall(block)) >= 3, "the quick-start block quotes no figures to check"
    assert (ROWS / "results.jsonl").is_file(), "the quick start's rows are not committed"
    monkeypatch.chdir(ROOT)
    assert main(["leaderboard", "--runs", str(ROWS.relative_to(ROOT)), "--out", str(tmp_path)]) == 0
    assert stale_intervals(block, (tmp_path / "README.md").read_text(encoding="utf-8")) == []
    assert "leaderboard/runs/quickstart" in block  # says where its figures come from


def test_a_figure_the_rows_do_not_give_is_caught():
    report = "| none - prior | +15.8 [+2.1, +29.8] |"
    assert stale_intervals("none leads prior by +15.8 EM [+2.1, +29.8]", report) == []
    assert stale_intervals("none leads prior by +15.8 EM [+2.0, +29.8]", report) == ["+15.8 EM [+2.0, +29.8]"]
