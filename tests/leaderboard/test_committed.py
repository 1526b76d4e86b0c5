"""The committed `leaderboard/` is what its committed rows give: regenerated here from `leaderboard/runs/` by
the command its report records, every generated file byte for byte. A folder without rows must say so and
hold no generated report (a report without its rows cannot be checked)."""

from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
from pathlib import Path

import pytest

from decomp.curves.rows import RESULTS
from decomp.leaderboard import add_arguments, build
from decomp.leaderboard.render import write_report

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "leaderboard"
HAND_WRITTEN = {"notes.md"}
GENERATED = {".md", ".csv", ".json", ".html", ".svg"}
NO_ROWS = "No result rows are committed under `leaderboard/runs/`"


def committed_rows(folder: Path = FOLDER) -> list[Path]:
    return sorted((folder / "runs").rglob(RESULTS)) if (folder / "runs").is_dir() else []


def report_files(folder: Path) -> dict[str, bytes]:
    """Every generated file of a report folder (rows and hand-written notes excluded), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in GENERATED and p.name not in HAND_WRITTEN
            and "runs" not in p.relative_to(folder).parts}


def recorded_command(folder: Path) -> argparse.Namespace:
    """The command line the committed report records, parsed as `decomp leaderboard` parses it."""
    command = json.loads((folder / "leaderboard.json").read_text(encoding="utf-8"))["provenance"]["command"]
    words = shlex.split(command)
    assert words[:2] == ["decomp", "leaderboard"], command
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(words[2:])


def check_report(root: Path, out: Path) -> None:
    """Assert that `root`/leaderboard is what its committed rows give (regenerated into `out`), or, without
    rows, that it says so and holds no generated report. Runs from `root`, as the recorded command does."""
    folder = root / "leaderboard"
    if not committed_rows(folder):
        assert NO_ROWS in (folder / "README.md").read_text(encoding="utf-8")
        assert set(report_files(folder)) == {"README.md"}, "a report without committed rows"
        return
    assert (folder / "leaderboard.json").is_file(), (
        "rows are committed under leaderboard/runs/ but no report: run decomp leaderboard --runs leaderboard/runs "
        "--out leaderboard --notes leaderboard/notes.md")
    args = recorded_command(folder)
    assert Path(args.out) == Path("leaderboard"), args.out
    for runs in args.runs:  # the report reads committed rows only
        assert (root / runs).resolve().is_relative_to((folder / "runs").resolve()), runs
    _, board, notes = build(args)
    write_report(board, out, notes=notes)
    regenerated, committed = report_files(out), report_files(folder)
    assert set(regenerated) == set(committed)
    differing = [name for name in sorted(committed) if regenerated[name] != committed[name]]
    assert not differing, f"committed files differ from what the committed rows give: {differing}"


# A mean with its interval as the report writes them ("+4.3 [+1.2, +7.8]"), optionally with its metric between;
# a line break of the notes may stand for any space.
QUOTED_INTERVAL = re.compile(r"([+-]?\d+\.\d)(?:\s+EM|\s+F1)?\s+(\[[+-]?\d+\.\d,\s+[+-]?\d+\.\d\])")


def stale_intervals(notes: str, report: str) -> list[str]:
    """Intervals the hand-written notes quote that the generated report (without the notes it embeds) does not
    hold: a number left over from rows that have since grown."""
    generated = report.replace(notes.strip(), "")
    return [m.group(0) for m in QUOTED_INTERVAL.finditer(notes)
            if f"{m.group(1)} {' '.join(m.group(2).split())}" not in generated]


# An EM difference quoted with its minimum detectable effect: "-2.6 [-5.7, +0.6] (MDE 4.6)", or with "EM" and
# "at k=128" between the interval and the MDE.
QUOTED_MDE = re.compile(r"([+-]\d+\.\d)\s+(\[[+-]?\d+\.\d,\s+[+-]?\d+\.\d\])(?:\s+EM)?(?:\s+at\s+k=\w+)?\s+"
                        r"\(MDE\s+(\d+\.\d)\)")


def stale_mdes(notes: str, differences: list[dict]) -> list[str]:
    """MDEs the notes quote beside an EM difference that no row of the report's differences (pooled or per fold)
    with that difference and interval states."""
    stated: dict[str, set[str]] = {}
    for row in differences:
        em = "{:+.1f} [{:+.1f}, {:+.1f}]".format(*(float(row[f]) for f in ("em", "em_lo", "em_hi")))
        stated.setdefault(em, set()).add(f"{float(row['mde_em']):.1f}")
    return [m.group(0) for m in QUOTED_MDE.finditer(notes)
            if m.group(3) not in stated.get(f"{m.group(1)} {' '.join(m.group(2).split())}", set())]


def test_the_notes_quote_the_detectable_effects_the_report_states():
    notes = (FOLDER / "notes.md").read_text(encoding="utf-8")
    rows = [row for name in ("differences.csv", "fold_differences.csv")
            for row in csv.DictReader((FOLDER / name).open(encoding="utf-8"))]
    assert QUOTED_MDE.search(notes), "the notes quote no MDE beside a difference: the check would pass on anything"
    assert stale_mdes(notes, rows) == []


def test_a_stale_detectable_effect_in_the_notes_is_caught():
    rows = [{"em": "-2.6226", "em_lo": "-5.6777", "em_hi": "0.5972", "mde_em": "4.6104"}]
    assert stale_mdes("trails by -2.6 [-5.7, +0.6] (MDE 4.6) at k=16", rows) == []
    assert stale_mdes("trails by -2.6 [-5.7,\n +0.6] EM at k=16 (MDE 4.6)", rows) == []
    assert stale_mdes("trails by -2.6 [-5.7, +0.6] (MDE 5.9)", rows) == ["-2.6 [-5.7, +0.6] (MDE 5.9)"]
    assert stale_mdes("trails by -2.6 [-6.8, +1.6] (MDE 4.6)", rows) == ["-2.6 [-6.8, +1.6] (MDE 4.6)"]


def test_the_notes_quote_intervals_the_report_holds():
    notes = (FOLDER / "notes.md").read_text(encoding="utf-8")
    assert QUOTED_INTERVAL.search(notes), "the notes quote no interval: the check below would pass on anything"
    assert stale_intervals(notes, (FOLDER / "README.md").read_text(encoding="utf-8")) == []


def test_a_stale_interval_in_the_notes_is_caught():
    report = "| 16 | +4.3 [+1.2, +7.8] |\n\n## What was run\n\n{notes}\n"
    fresh = "explicit-hybrid leads by +4.3 EM [+1.2, +7.8] at k=16."
    stale = "explicit-hybrid leads by +4.3 EM [+1.4, +7.7] at k=16."
    assert stale_intervals(fresh, report.format(notes=fresh)) == []
    assert stale_intervals(stale, report.format(notes=stale)) == ["+4.3 EM [+1.4, +7.7]"]
    wrapped = "explicit-hybrid leads by +4.3 EM [+1.4,\n  +7.7] at k=16."  # a line break inside the quote
    assert stale_intervals(wrapped, report.format(notes=wrapped)) == ["+4.3 EM [+1.4,\n  +7.7]"]
    fresh_wrapped = "explicit-hybrid leads by +4.3\n  EM [+1.2, +7.8] at k=16."
    assert stale_intervals(fresh_wrapped, report.format(notes=fresh_wrapped)) == []


def test_the_committed_leaderboard_regenerates_from_its_committed_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    check_report(ROOT, tmp_path)


@pytest.mark.slow
def test_the_check_fails_on_a_report_that_is_not_its_rows(tmp_path, monkeypatch):
    """The same check on a scratch checkout: a report written by its recorded command passes; edited, or
    without its rows, or rows without their report, it fails."""
    from tests.leaderboard.test_cli import known_rows
    from tests.leaderboard.test_rows import write

    root = tmp_path / "checkout"
    (root / "leaderboard").mkdir(parents=True)
    (root / "leaderboard" / "README.md").write_text(f"Withdrawn. {NO_ROWS} yet.\n")
    monkeypatch.chdir(root)
    check_report(root, tmp_path / "empty")  # no rows, and the README says so
    write(root / "leaderboard" / "runs" / "curve" / RESULTS, known_rows())
    with pytest.raises(AssertionError, match="no report"):
        check_report(root, tmp_path / "none")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--runs", "leaderboard/runs", "--out", "leaderboard", "--n-boot", "200"])
    _, board, notes = build(args)
    write_report(board, root / "leaderboard", notes=notes)
    check_report(root, tmp_path / "regenerated")
    (root / "leaderboard" / "curves.csv").write_text("edited\n")
    with pytest.raises(AssertionError, match="curves.csv"):
        check_report(root, tmp_path / "again")
    (root / "leaderboard" / "runs" / "curve" / RESULTS).unlink()
    with pytest.raises(AssertionError, match="No result rows are committed"):
        check_report(root, tmp_path / "rowless")


def test_git_tracks_the_committed_rows():
    """`leaderboard/runs/` must not be ignored (an ignore rule `runs/` once hid every row from git)."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    probe = f"leaderboard/runs/curve/{RESULTS}"
    got = subprocess.run(["git", "check-ignore", "-q", probe], cwd=ROOT, check=False)
    assert got.returncode == 1, f"git ignores {probe}; fix .gitignore"
    got = subprocess.run(["git", "check-ignore", "-q", f"runs/curves/x/{RESULTS}"], cwd=ROOT, check=False)
    assert got.returncode == 0, "top-level runs/ (scratch curves) should stay ignored"
