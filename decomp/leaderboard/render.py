"""Write a `Leaderboard` as the published report: README.md, a self-contained leaderboard.html, SVG plots,
leaderboard.json and one CSV per table.

Every format is a pure function of the board (same board, byte-identical files). Markdown and HTML are
rendered from one list of blocks so they always show the same tables. Everything is rendered in memory
first and each file is then replaced atomically, so an interrupted run leaves the old or the new file,
never a half-written one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from decomp.io import write_atomic
from decomp.leaderboard.blocks import CROSSOVER_DEFINITION, crossover_sentence, slug
from decomp.leaderboard.markup import render_html, render_markdown
from decomp.leaderboard.model import CurvePoint, Difference, Group, Interval, Leaderboard

__all__ = ["CROSSOVER_DEFINITION", "crossover_sentence", "render_csvs", "render_files", "render_html",
           "render_json", "render_markdown", "render_plots", "write_report"]


def render_plots(board: Leaderboard) -> dict[str, str]:
    """Relative path -> SVG text for every group's curves, and its differences to `none` when it has some."""
    from decomp.leaderboard import plots

    out = {}
    for group in board.groups:
        out[f"plots/{slug(group)}-curve.svg"] = plots.curve_svg(group)
        if any(d.baseline == "none" for d in group.differences):
            out[f"plots/{slug(group)}-difference.svg"] = plots.difference_svg(group)
    return out


# ---------------------------------------------------------------- CSV and JSON


def _csv(header: tuple[str, ...], rows: Iterable[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def _iv(score: Interval) -> tuple[float, float, float]:
    return (score.mean, score.lo, score.hi)


def _iv_header(name: str) -> tuple[str, str, str]:
    return (name, f"{name}_lo", f"{name}_hi")


_GROUP = ("dataset", "context", "reader", "decompositions", "budget")
_POINT = ("strategy", "k", "n_train", "n_seeds", "n_eval", "n_passages", "n_demonstrations") + _iv_header("em") \
    + _iv_header("f1") + ("run_ids",)
_DIFFERENCE = ("strategy", "baseline", "k", "n_pairs") + _iv_header("em") + _iv_header("f1") + ("mde_em", "mde_f1")


def _point(p: CurvePoint) -> tuple:
    return (p.strategy, p.k, p.n_train, p.n_seeds, p.n_eval, p.n_passages, p.n_demonstrations) + _iv(p.em) \
        + _iv(p.f1) + (" ".join(p.run_ids),)


def _difference(d: Difference) -> tuple:
    return (d.strategy, d.baseline, d.k, d.n_pairs) + _iv(d.em) + _iv(d.f1) + (d.mde_em, d.mde_f1)


def render_csvs(board: Leaderboard) -> dict[str, str]:
    """File name -> CSV text; each table has its header even when it has no rows."""

    def keyed(group: Group) -> tuple[str, str, str, str, str]:
        return (group.dataset, group.context or "", group.reader, group.decompositions,
                "fixed" if group.fixed_budget else "")

    groups = board.groups
    return {
        "curves.csv": _csv(_GROUP + _POINT, (keyed(g) + _point(p) for g in groups for p in g.points)),
        "differences.csv": _csv(_GROUP + _DIFFERENCE,
                                (keyed(g) + _difference(d) for g in groups for d in g.differences)),
        # each fold of a panel that pools several, on its own (a one-fold panel's fold is curves.csv)
        "fold_curves.csv": _csv(_GROUP + ("fold",) + _POINT, (keyed(g) + (t.fold,) + _point(p) for g in groups
                                                            for t in g.fold_tables for p in t.points)),
        "fold_differences.csv": _csv(_GROUP + ("fold",) + _DIFFERENCE,
                                     (keyed(g) + (t.fold,) + _difference(d) for g in groups
                                      for t in g.fold_tables for d in t.differences)),
        "count_answers.csv": _csv(
            _GROUP + ("strategy", "k", "n_answers", "share_one", "top"),
            (keyed(g) + (c.strategy, c.k, c.n_answers, c.share_one, " ".join(f"{a}={n}" for a, n in c.top))
             for g in groups for c in g.count_answers),
        ),
        "correct_answers.csv": _csv(
            _GROUP + ("strategy", "k", "n_questions", "n_correct", "n_prior_too", "top"),
            (keyed(g) + (c.strategy, c.k, c.n_questions, c.n_correct,
                         "" if c.n_prior_too is None else c.n_prior_too, "; ".join(f"{a}={n}" for a, n in c.top))
             for g in groups for c in g.correct_answers),
        ),
        "crossovers.csv": _csv(
            _GROUP + ("strategy", "metric", "k", "lo", "hi", "never_share"),
            (keyed(g) + (c.strategy, c.metric, c.k, c.lo, c.hi, c.never_share) for g in groups for c in g.crossovers),
        ),
        "best.csv": _csv(
            _GROUP + ("k", "metric", "strategy") + _iv_header("score") + ("margin_ci_excludes_zero",),
            (keyed(g) + (b.k, b.metric, b.strategy) + _iv(b.score) + (str(b.margin_ci_excludes_zero).lower(),)
             for g in groups for b in g.best),
        ),
        "breakdowns.csv": _csv(
            _GROUP + ("kind", "value", "strategy", "k", "n_examples") + _iv_header("em") + _iv_header("f1"),
            (keyed(g) + (b.kind, b.value, b.strategy, b.k, b.n_examples) + _iv(b.em) + _iv(b.f1)
             for g in groups for b in g.breakdowns),
        ),
        "sources.csv": _csv(
            ("dataset", "reader", "decompositions", "strategy", "k") + _iv_header("gold")
            + _iv_header("predicted") + _iv_header("difference"),
            ((dataset, reader, c.source, c.strategy, c.k) + _iv(c.gold) + _iv(c.predicted) + _iv(c.difference)
             for dataset, reader, comparisons in board.source_comparisons for c in comparisons),
        ),
    }


def render_json(board: Leaderboard) -> str:
    return json.dumps(board.to_dict(), sort_keys=True, indent=2) + "\n"


# ---------------------------------------------------------------- writing


def render_files(board: Leaderboard, notes: str | None = None) -> dict[str, str]:
    """Relative path -> text of every file in the report."""
    svgs = render_plots(board)
    files = {
        "README.md": render_markdown(board, notes),
        "leaderboard.html": render_html(board, svgs, notes),
        "leaderboard.json": render_json(board),
    }
    files.update(render_csvs(board))
    files.update(svgs)
    return files


def write_report(board: Leaderboard, out: str | Path, notes: str | None = None) -> list[Path]:
    """Write the report into `out` and return the files written. `notes` (hand-written: what was run and
    how it compares with the paper) goes verbatim under "What was run". Plots in out/plots that belong to
    no current group are removed, so the folder always matches the board."""
    out = Path(out)
    files = render_files(board, notes)
    written = []
    for rel in sorted(files):
        path = out / rel
        write_atomic(path, files[rel])
        written.append(path)
    for stale in sorted((out / "plots").glob("*.svg")):
        if f"plots/{stale.name}" not in files:
            stale.unlink()
    return written
