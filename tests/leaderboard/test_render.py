"""The written report: byte-identical on rewrite, every format readable back, the headline and provenance
present, the HTML self-contained."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from decomp.leaderboard import render
from decomp.leaderboard.model import Crossover
from tests.leaderboard.sample import SIZES, sample_board

NOTES = "Ran the extractive reader on 2 CPU cores.\nThe paper's 'a few hundred' matches k=256 | see table."


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("leaderboard")
    return out, render.write_report(sample_board(), out, notes=NOTES)


def _read_all(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_every_format(report: tuple[Path, list[Path]]) -> None:
    out, written = report
    names = {str(p.relative_to(out)) for p in written}
    assert names == {
        "README.md", "leaderboard.html", "leaderboard.json",
        "curves.csv", "differences.csv", "crossovers.csv", "best.csv", "breakdowns.csv", "sources.csv",
        "count_answers.csv", "correct_answers.csv", "fold_curves.csv", "fold_differences.csv",
        "plots/drop-extractive-gold-curve.svg", "plots/drop-extractive-gold-difference.svg",
        "plots/hotpotqa-distractor-extractive-gold-curve.svg",
        "plots/hotpotqa-distractor-extractive-gold-difference.svg",
    }
    # Nothing else: no temp files left behind.
    assert set(_read_all(out)) == names


def test_same_board_gives_byte_identical_files(report: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, _ = report
    render.write_report(sample_board(), tmp_path, notes=NOTES)
    assert _read_all(tmp_path) == _read_all(out)


def test_rewrite_replaces_files_and_drops_stale_plots(report: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, _ = report
    for name, data in _read_all(out).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    board = replace(sample_board(), groups=sample_board().groups[:1])
    render.write_report(board, tmp_path)
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "drop-extractive-gold-curve.svg", "drop-extractive-gold-difference.svg"
    ]
    assert (tmp_path / "README.md").read_text() == render.render_markdown(board)
    assert "hotpotqa" not in (tmp_path / "curves.csv").read_text()


def test_csvs_parse_back_with_one_row_per_record(report: tuple[Path, list[Path]]) -> None:
    out, _ = report
    board = sample_board()
    expected = {
        "curves.csv": sum(len(g.points) for g in board.groups),
        "differences.csv": sum(len(g.differences) for g in board.groups),
        "crossovers.csv": sum(len(g.crossovers) for g in board.groups),
        "best.csv": sum(len(g.best) for g in board.groups),
        "breakdowns.csv": sum(len(g.breakdowns) for g in board.groups),
        "sources.csv": sum(len(rows) for _, _, rows in board.source_comparisons),
        "count_answers.csv": sum(len(g.count_answers) for g in board.groups),
        "correct_answers.csv": sum(len(g.correct_answers) for g in board.groups),
    }
    for name, count in expected.items():
        with open(out / name, newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == count, name
    with open(out / "curves.csv", newline="") as handle:
        first = next(csv.DictReader(handle))
    point = board.groups[0].points[0]
    assert float(first["em_lo"]) == point.em.lo and first["run_ids"].split() == list(point.run_ids)
    with open(out / "crossovers.csv", newline="") as handle:
        never = [r for r in csv.DictReader(handle) if r["dataset"] == "hotpotqa" and r["metric"] == "em"][0]
    assert never["k"] == "" and never["hi"] == "" and never["lo"] == "1024"


def test_empty_tables_keep_their_header() -> None:
    board = replace(sample_board(), source_comparisons=())
    assert render.render_csvs(board)["sources.csv"].splitlines() == [
        "dataset,reader,decompositions,strategy,k,gold,gold_lo,gold_hi,predicted,predicted_lo,predicted_hi,"
        "difference,difference_lo,difference_hi"
    ]
    assert "Gold vs predicted" not in render.render_markdown(board)


def test_json_round_trips(report: tuple[Path, list[Path]]) -> None:
    out, _ = report
    text = (out / "leaderboard.json").read_text()
    assert json.loads(text) == json.loads(json.dumps(sample_board().to_dict()))
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"


def test_markdown_has_headline_tables_plots_and_provenance(report: tuple[Path, list[Path]]) -> None:
    out, _ = report
    md = (out / "README.md").read_text()
    board = sample_board()
    assert f"```\n{board.provenance.command}\n```" in md
    assert "explicit-hybrid stops helping significantly (EM) from k=256; the difference itself reaches zero at k in " \
        "64-1024" in md
    assert "explicit-hybrid still helps significantly (EM) at the largest size, k=all" in md
    title = "drop / extractive reader / gold decompositions"
    assert f"![Learning curves, {title}](plots/drop-extractive-gold-curve.svg)" in md
    assert "(plots/hotpotqa-distractor-extractive-gold-difference.svg)" in md
    assert "| 16 | 16 | 3 (< 5 seeds) | 1273 / 160 | 11.2 [6.4, 16.0] | 9.0 [4.2, 13.8] | 17.9 [13.1, 22.7] | " \
        "13.0 [8.2, 17.8] |" in md
    assert "| explicit-hybrid | 64 | 33.4 [31.3, 35.5] | 29.8 [27.5, 32.1] | -3.6 [-5.0, -2.2] |" in md
    assert f"runs: {len(board.provenance.run_ids)} " in md and "`3f2c1e9a7b4d`" in md and "`a41be07c`" in md
    assert "| torch | 2.6.0 |" in md and "1000 replicates, seed 0" in md
    assert render.CROSSOVER_DEFINITION in md
    # Notes verbatim under their heading, before the first group; the pipe stays as written.
    assert f"## What was run\n\n{NOTES}\n\n## drop" in md


def test_crossover_sentences_cover_every_case() -> None:
    sentence = render.crossover_sentence
    assert sentence(Crossover("explicit", "f1", 64, 16, None, 0.1), SIZES) == (
        "explicit stops helping significantly (F1) from k=64; the difference itself reaches zero somewhere from "
        "k=16 to beyond k=all (95% bootstrap interval; never up to k=all in 10% of replicates)"
    )
    assert sentence(Crossover("explicit", "em", "all", "all", None, 0.7), SIZES) == (
        "explicit stops helping significantly (EM) from k=all; the difference itself reaches zero at k=all or "
        "beyond it (95% bootstrap interval; never up to k=all in 70% of replicates)"
    )
    assert sentence(Crossover("explicit", "em", 16, 16, 64, 0.0), SIZES).startswith(
        "explicit does not help significantly (EM) at any size tried; the difference itself reaches zero at k in "
        "16-64"
    )
    assert sentence(Crossover("explicit", "em", 16, 16, 16, 0.0), SIZES) == (
        "explicit does not help significantly (EM) at any size tried; the difference itself reaches zero at k=16 "
        "(the whole 95% bootstrap interval; never up to k=all in 0% of replicates)"
    )
    assert sentence(Crossover("explicit", "em", None, None, None, 1.0), SIZES) == (
        "explicit still helps significantly (EM) at the largest size, k=all; the difference itself stays above "
        "zero (never up to k=all in 100% of replicates)"
    )


def test_html_is_self_contained(report: tuple[Path, list[Path]]) -> None:
    out, _ = report
    page = (out / "leaderboard.html").read_text()
    assert page.count("<svg") == 4 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    # Ids are unique across the inlined figures, and every local reference points at one of them.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', page))
    assert refs and refs <= set(ids)
    assert "The paper&#x27;s" in page or "The paper's" in page
    assert "<h2>What was run</h2>" in page and "k=256 | see table." in page


def test_html_escapes_notes(report: tuple[Path, list[Path]]) -> None:
    out, _ = report
    svgs = {f"plots/{p.name}": p.read_text() for p in (out / "plots").iterdir()}
    page = render.render_html(sample_board(), svgs, notes='<img src="https://example.org/x.png">')
    assert "<img" not in page and "&lt;img" in page


def test_plots_are_deterministic_svg(report: tuple[Path, list[Path]]) -> None:
    from decomp.leaderboard import plots

    out, _ = report
    group = sample_board().groups[0]
    svg = plots.difference_svg(group)
    assert svg == (out / "plots" / "drop-extractive-gold-difference.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<dc:date>" not in svg and "Matplotlib v" not in svg
    # Strategy colours are fixed by name: the hybrid's red is in both figures.
    curve = (out / "plots" / "drop-extractive-gold-curve.svg").read_text()
    assert plots.COLORS["explicit-hybrid"] in svg and plots.COLORS["explicit-hybrid"] in curve
    assert plots.color("some-new-strategy") == plots.color("some-new-strategy")


def test_a_group_without_none_has_no_difference_section_or_plot(tmp_path: Path) -> None:
    group = sample_board().groups[0]
    alone = replace(group, strategies=("explicit-hybrid",), differences=(), crossovers=(),
                    points=tuple(p for p in group.points if p.strategy == "explicit-hybrid"),
                    correct_answers=tuple(c for c in group.correct_answers if c.strategy == "explicit-hybrid"))
    board = replace(sample_board(), groups=(alone,))
    render.write_report(board, tmp_path)
    assert [p.name for p in (tmp_path / "plots").iterdir()] == ["drop-extractive-gold-curve.svg"]
    md = (tmp_path / "README.md").read_text()
    assert "Difference to `none`" not in md and "No `none` runs in this group" in md


def test_the_report_shows_prior_gains_count_answers_passages_and_few_seeds(report) -> None:
    out, _ = report
    md = (out / "README.md").read_text()
    assert "### Difference to `prior` (same subsets and seeds)" in md
    # none, then the others, each with its MDE
    assert "| 16 | +2.2 [-0.7, +5.1] | +1.8 [-0.9, +4.4] | 4.1 / 3.8 | +8.9 [+6.0, +11.8] |" in md
    assert "### Final answers on count questions" in md
    assert '| explicit-hybrid | 16 | 390 | 62.8 | 1 (245), 2 (80), 3 (40) |' in md
    assert "### Right answers against `prior`" in md
    assert "| explicit-hybrid | 16 | 300 / 4146 | 240 (80%) | 1 (240), 2 (30), Reed \\| Smith (5) |" in md
    assert "| none | 16 | 120 / 4146 | - | Reed (3), 1983 (2) |" in md
    assert "20 of 20 points rest on fewer than 5 seeds" in md and "1382 / 1382" in md
    with open(out / "differences.csv", newline="") as handle:
        baselines = {(r["strategy"], r["baseline"]) for r in csv.DictReader(handle) if r["dataset"] == "drop"}
    assert ("none", "prior") in baselines and ("explicit-hybrid", "prior") in baselines
    assert ("prior", "none") not in baselines


def test_headlines_name_a_fixed_budget_and_the_context() -> None:
    group = replace(sample_board().groups[1], fixed_budget=True)
    md = render.render_markdown(replace(sample_board(), groups=(group,)))
    assert "- **hotpotqa (distractor context) / extractive reader / gold decompositions, fixed budget**: " in md


def test_a_zero_shot_point_is_drawn_and_tabled() -> None:
    from decomp.leaderboard import plots

    group = sample_board().groups[0]
    zero = [replace(p, k=0, n_train=0.0, n_seeds=5, n_demonstrations=0.0)
            for p in group.points if p.k == 16]
    shown = [replace(p, n_demonstrations=8.0) for p in group.points]
    group = replace(group, sizes=(0, *group.sizes), points=tuple(zero + shown))
    md = render.render_markdown(replace(sample_board(), groups=(group,)))
    assert "| 0 | 0 | 5 | 1273 / 160 | 0 | 11.2 [6.4, 16.0] |" in md  # 5 seeds: no warning
    assert "| demonstrations |" in md
    svg = plots.curve_svg(group)
    assert svg.count('id="xtick_') == 2 * 6  # six sizes, 0 included, on both panels


def test_a_partial_curve_claims_nothing_past_its_compared_sizes_and_lists_missing_cells() -> None:
    from decomp.leaderboard.blocks import compared_sizes, missing_cells

    group = sample_board().groups[0]
    strategy = next(s for s in group.strategies if s not in ("none", "prior"))
    largest = max(SIZES[:-1], key=lambda k: (k == "all", k if k != "all" else 0))
    partial = replace(
        group,
        points=tuple(p for p in group.points if not (p.strategy == strategy and p.k == "all")),
        differences=tuple(d for d in group.differences if not (d.strategy == strategy and d.k == "all")),
    )
    assert "all" not in compared_sizes(partial, strategy) and largest in compared_sizes(partial, strategy)
    assert missing_cells(partial) == [f"{strategy}@all"] and missing_cells(group) == []
    sentence = render.crossover_sentence(Crossover(strategy, "em", None, None, None, 1.0),
                                         compared_sizes(partial, strategy))
    assert f"at the largest size, k={largest};" in sentence and "k=all" not in sentence


def test_headlines_say_whether_a_strategy_beats_prior_at_its_largest_compared_size() -> None:
    from decomp.leaderboard.blocks import headline, reading_headline
    from decomp.leaderboard.model import Interval

    group = sample_board().groups[0]
    crossover = next(c for c in group.crossovers if c.metric == "em")

    def with_prior_em(strategy: str, lo: float, hi: float):
        differences = tuple(
            replace(d, em=Interval((lo + hi) / 2, lo, hi))
            if d.baseline == "prior" and d.strategy == strategy and d.k == "all" else d
            for d in group.differences)
        return replace(group, differences=differences)

    assert headline(with_prior_em(crossover.strategy, 1.0, 5.0), crossover).endswith(
        "; against `prior` (reads nothing) at k=all: +3.0 [+1.0, +5.0] EM, significantly above it")
    assert headline(with_prior_em(crossover.strategy, -5.0, -1.0), crossover).endswith("significantly below it")
    covered = headline(with_prior_em(crossover.strategy, -1.0, 5.0), crossover)
    assert covered.startswith(render.crossover_sentence(crossover, SIZES))
    mde = next(d.mde_em for d in group.differences
               if (d.baseline, d.strategy, d.k) == ("prior", crossover.strategy, "all"))
    assert covered.endswith(f"+2.0 [-1.0, +5.0] EM, not significantly different: no difference larger than {mde:.1f} EM"
                            " (its minimum detectable effect at 80% power, 5% level); no gain over the answer prior "
                            "is shown")
    assert reading_headline(with_prior_em("none", 1.0, 3.0)) == (
        "none (no decomposition) against `prior` (reads nothing) at k=all: +2.0 [+1.0, +3.0] EM, "
        "significantly above it")
    # No prior runs: the sentences say nothing about it.
    alone = replace(group, differences=tuple(d for d in group.differences if d.baseline != "prior"))
    assert reading_headline(alone) is None
    assert headline(alone, crossover).startswith(render.crossover_sentence(crossover, SIZES))
    assert "`prior`" not in headline(alone, crossover)
    md = render.render_markdown(replace(sample_board(), groups=(with_prior_em("none", 1.0, 3.0),)))
    assert "**: none (no decomposition) against `prior` (reads nothing) at k=all: +2.0 [+1.0, +3.0] EM" in md


def test_the_curve_table_gives_the_spread_of_training_sizes_at_a_point() -> None:
    """`prior` counts the whole subset, a reader what is left after its validation split: the column shows both."""
    from decomp.leaderboard.blocks import _curve_table

    group = sample_board().groups[0]
    held_out = tuple(replace(p, n_train=13.0) if p.k == 16 and p.strategy != "prior" else p for p in group.points)
    table = _curve_table(replace(group, points=held_out), "em")
    by_k = {row[0]: row[1] for row in table.rows}
    assert by_k["16"] == "13-16" and by_k["64"] == "64"


def test_the_report_names_fits_the_step_cap_stopped() -> None:
    from decomp.leaderboard.model import CutFit

    group = sample_board().groups[0]
    assert "reader fits" not in render.render_markdown(replace(sample_board(), groups=(group,)))
    early = replace(group, n_fits=12)
    assert "Of the 12 reader fits, 12 stopped early on their validation split." in render.render_markdown(
        replace(sample_board(), groups=(early,)))
    cut = replace(group, n_fits=12, cut_fits=(CutFit("none", 256, 0, 1, 0, 400, 320, "max_steps"),))
    md = render.render_markdown(replace(sample_board(), groups=(cut,)))
    assert "Of the 12 reader fits, 11 stopped early on their validation split. 1 of them reached the step cap" in md
    assert "`none` k=256 (fold 0, subset seed 1, seed 0; best round at step 320 of 400)." in md
    assert "loaded from a fit cache" not in md
    reused = render.render_markdown(replace(sample_board(), groups=(replace(group, n_fits=12, n_reused=4),)))
    assert "12 stopped early on their validation split. 4 of them were loaded from a fit cache" in reused
    ruled = render.render_markdown(replace(sample_board(), groups=(replace(group, n_fits=12, n_by_rule=8),)))
    assert ("Of the 12 reader fits, 4 stopped early on their validation split. The other 8 trained to the budget rule"
            in ruled)


def test_missing_runs_are_named_by_the_seeds_other_points_have() -> None:
    from decomp.leaderboard.blocks import missing_cells

    group = sample_board().groups[0]
    three = ((0, 0, 0), (0, 1, 0), (0, 2, 0))
    points = [replace(p, units=three[:2] if (p.strategy, p.k) == ("none", "all") else three) for p in group.points]
    partial = replace(group, points=tuple(points))
    assert missing_cells(partial) == ["none@all (subset seed 2)"]
    md = render.render_markdown(replace(sample_board(), groups=(partial,)))
    assert "Runs missing against the grid of this panel's other points (1): none@all (subset seed 2)." in md
    two_axes = [replace(p, units=((0, 0, 0), (1, 0, 0), (1, 0, 1)) if p.strategy != "none" else ((0, 0, 0),))
                for p in group.points]
    got = missing_cells(replace(group, points=tuple(two_axes)))
    assert "none@16 (fold 1, seed 0)" in got and "none@16 (fold 1, seed 1)" in got


def test_differences_state_their_detectable_effect_in_every_format(report: tuple[Path, list[Path]]) -> None:
    from decomp.leaderboard.blocks import fmt_interval

    out, _ = report
    group = sample_board().groups[0]
    diff = next(d for d in group.differences if (d.strategy, d.baseline, d.k) == ("explicit-hybrid", "none", 64))
    with open(out / "differences.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["dataset"] == "drop" and r["strategy"] == "explicit-hybrid"
                   and r["baseline"] == "none" and r["k"] == "64")
    assert (float(row["mde_em"]), float(row["mde_f1"])) == (diff.mde_em, diff.mde_f1)
    md = (out / "README.md").read_text()
    header = "| k | explicit-hybrid EM | explicit-hybrid F1 | explicit-hybrid MDE EM / F1 | implicit-operators EM |"
    assert header in md
    assert f"| 64 | {fmt_interval(diff.em, signed=True)} | {fmt_interval(diff.f1, signed=True)} | " \
           f"{diff.mde_em:.1f} / {diff.mde_f1:.1f} |" in md
    assert "minimum detectable effect (MDE)" in md and "MDE EM / F1" in (out / "leaderboard.html").read_text()
    saved = json.loads((out / "leaderboard.json").read_text())["groups"][0]["differences"]
    assert {d["mde_em"] for d in saved} == {d.mde_em for d in group.differences}


def test_no_difference_names_the_largest_detectable_effect_of_the_sizes_it_covers() -> None:
    from decomp.leaderboard.blocks import no_difference
    from decomp.leaderboard.model import Difference, Interval

    def diff(k, lo, hi, mde):
        return Difference("explicit-hybrid", k, 3, Interval((lo + hi) / 2, lo, hi), Interval(0, -1, 1),
                          mde_em=mde, mde_f1=1.0)

    covering = [diff(16, 1.0, 9.0, 5.0), diff(64, -2.0, 6.0, 7.25), diff("all", -4.0, 1.0, 6.0)]
    assert no_difference(covering, "em") == ("no difference larger than 7.2 EM at k=64, all (the largest of their "
                                             "minimum detectable effects at 80% power, 5% level)")
    assert no_difference(covering[:1], "em") == ""  # the only interval excludes 0: a difference was found
    assert no_difference(covering[1:2], "f1") == (
        "no difference larger than 1.0 F1 (its minimum detectable effect at 80% power, 5% level)")


def test_a_panel_of_several_folds_pools_them_and_shows_each_fold() -> None:
    from decomp.leaderboard.analysis import analyse
    from tests.leaderboard.test_analysis import _two_folds

    board = analyse(_two_folds(), command="t", n_boot=200)
    group = board.groups[0]
    files = render.render_files(board)
    md = files["README.md"]
    assert "Folds 0, 1 pool as strata" in md and "no rows yet for folds 2, 3, 4." in md
    assert "### Fold 0 on its own: EM" in md and "### Fold 1 on its own: difference to `none`" in md
    fold_points = list(csv.DictReader(files["fold_curves.csv"].splitlines()))
    assert len(fold_points) == sum(len(t.points) for t in group.fold_tables) == 4
    assert {(r["fold"], r["strategy"], r["em"]) for r in fold_points if r["strategy"] == "none"} == {
        ("0", "none", "50.0"), ("1", "none", "20.0")}
    fold_diffs = list(csv.DictReader(files["fold_differences.csv"].splitlines()))
    assert [(r["fold"], r["em"], r["mde_em"]) for r in fold_diffs][1] == ("1", "0.0", "0.0")
    one_fold = render.render_files(analyse([r for r in _two_folds() if r["fold"] == 0], command="t", n_boot=200))
    assert "The rows hold fold 0 of the protocol's 5 folds; no rows yet for folds 1, 2, 3, 4." in one_fold["README.md"]
    assert "on its own" not in one_fold["README.md"] and one_fold["fold_curves.csv"].count("\n") == 1
