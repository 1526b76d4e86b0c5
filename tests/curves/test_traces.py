"""`decomp traces` on the committed BREAK-DROP rows: the selections are counted from the rows themselves,
baselines are paired by example id on the same cell, and a run's predictions file supplies its steps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from decomp.cli import main
from decomp.curves.predictions import predictions_path, write_predictions
from decomp.curves.traces import Answer, Selection, TraceView, answer_kind, format_selection, select, without_constants
from decomp.errors import ConfigError

ROWS = Path(__file__).resolve().parents[2] / "leaderboard" / "runs" / "drop-cpu" / "results.jsonl"


def _rows() -> dict[tuple[str, str], dict]:
    rows = [json.loads(line) for line in ROWS.read_text().splitlines() if line.strip()]
    return {(r["strategy"], str(r["k"])): r for r in rows if r["subset_seed"] == 0}


def seed0(*args, **kwargs):
    """`select` on subset seed 0, the seed `_rows` reads: the committed rows gain seeds as curves run."""
    return select(*args, subset_seeds=(0,), **kwargs)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    shutil.copy(ROWS, tmp_path / "results.jsonl")
    return tmp_path


def test_correct_answers_are_counted_and_paired_with_prior_by_example_id(run_dir: Path) -> None:
    rows = _rows()
    mine, prior = rows["explicit-hybrid", "16"]["examples"], rows["prior", "16"]["examples"]
    right = sorted(i for i, s in mine.items() if s["em"] > 0)
    selection = seed0(run_dir, "explicit-hybrid", "16")
    assert [v.example_id for v in selection.views] == right and selection.n_questions == len(mine)
    for view in selection.views:
        by_name = {b.strategy: b for b in view.baselines}
        assert by_name["prior"].prediction == prior[view.example_id]["prediction"]
        assert view.answer.prediction == mine[view.example_id]["prediction"]
    shared = sum(prior[i]["em"] > 0 for i in right)
    summary = "\n".join(selection.summary())
    assert f"{len(right)} correct of {len(mine)} answers" in summary
    assert f"prior is right on {shared} of these {len(right)}" in summary
    top, count = max(((p, sum(mine[i]["prediction"] == p for i in right)) for p in {mine[i]["prediction"]
                                                                                      for i in right}),
                     key=lambda pc: pc[1])
    assert f"most frequent answers: {top!r} x{count}" in summary
    assert selection.missing_traces == [rows["explicit-hybrid", "16"]["run_id"]]


def test_gained_and_lost_compare_with_the_first_baseline(run_dir: Path) -> None:
    rows = _rows()
    mine, prior = rows["explicit-hybrid", "16"]["examples"], rows["prior", "16"]["examples"]
    gained = seed0(run_dir, "explicit-hybrid", "16", "gained", ("prior",))
    lost = seed0(run_dir, "explicit-hybrid", "16", "lost", ("prior",))
    assert {v.example_id for v in gained.views} == {i for i in mine if mine[i]["em"] > 0 and prior[i]["em"] == 0}
    assert {v.example_id for v in lost.views} == {i for i in mine if mine[i]["em"] == 0 and prior[i]["em"] > 0}
    assert len(seed0(run_dir, "none", "64", "all").views) == len(rows["none", "64"]["examples"])


def test_an_operator_narrows_the_questions_and_their_count(run_dir: Path) -> None:
    mine = _rows()["explicit-hybrid", "16"]["examples"]
    counts = {i for i, s in mine.items() if "aggregate" in s["operators"]}
    selection = seed0(run_dir, "explicit-hybrid", "16", operator="aggregate")
    assert selection.n_questions == len(counts) and 0 < len(counts) < len(mine)
    assert {v.example_id for v in selection.views} == {i for i in counts if mine[i]["em"] > 0}
    assert "to questions with an 'aggregate' step" in selection.summary()[0]


def test_a_predictions_file_adds_the_question_gold_and_every_step(run_dir: Path) -> None:
    row = _rows()["explicit-hybrid", "16"]
    first = sorted(i for i, s in row["examples"].items() if s["em"] > 0)[0]
    steps = [{"step": 1, "operator": "select", "question": "return touchdowns", "answer": "a 12-yard run",
              "by": "reader"},
             {"step": 2, "operator": "aggregate", "question": "return the number of #1", "answer": "1",
              "by": "executor"}]
    write_predictions(predictions_path(run_dir, row["run_id"]),
                      [{"example_id": first, "question": "How many touchdowns?", "gold": [["1"]],
                        "prediction": "1", "trace": steps, "em": 1.0, "f1": 1.0}])
    selection = seed0(run_dir / "results.jsonl", "explicit-hybrid", "16")
    assert selection.missing_traces == []
    text = format_selection(selection, limit=1)
    assert "Q: How many touchdowns?" in text and "gold: 1" in text
    assert "step 1 [select] return touchdowns -> 'a 12-yard run' (reader)" in text
    assert "step 2 [aggregate] return the number of #1 -> '1' (executor)" in text
    assert f"... {len(selection.views) - 1} more (--limit)" in text


def test_answers_are_grouped_by_kind() -> None:
    assert answer_kind("Who died first, Edward or John?", "John") == "two-way choice"
    assert answer_kind("Who died first, Edward or John?", "Baibars") == "two-way choice"  # the question's kind
    assert answer_kind("How many touchdowns were 30-yards or longer?", "3") == "number"  # not a choice
    assert answer_kind("How many touchdowns were 30-yards or longer?", "30-yards") == "span"
    assert answer_kind(None, "1,200") == "number" and answer_kind(None, "-3.5") == "number"
    assert answer_kind(None, "Falcons") == "span" and answer_kind(None, "45 to 64") == "span"


def test_the_summary_counts_kinds_and_f1_without_an_exact_match(run_dir: Path) -> None:
    rows = _rows()
    mine, prior = rows["none", "all"]["examples"], rows["prior", "all"]["examples"]
    right = [i for i in mine if mine[i]["em"] > 0]
    numbers = [i for i in right if answer_kind(None, mine[i]["prediction"]) == "number"]
    assert 0 < len(numbers) < len(right)  # the rows have both kinds, so the line below is a real count
    summary = seed0(run_dir, "none", "all").summary()
    assert (f"  by kind: number {len(numbers)} (prior right on {sum(prior[i]['em'] > 0 for i in numbers)}), "
            f"span {len(right) - len(numbers)} (prior right on "
            f"{sum(prior[i]['em'] > 0 for i in right if i not in numbers)})") in summary
    assert not any("F1 without" in line for line in summary)  # right answers have EM 1
    partial = [s["f1"] for s in mine.values() if s["em"] == 0 and s["f1"] > 0]
    assert partial
    wrong = seed0(run_dir, "none", "all", "wrong").summary()
    assert (f"  F1 without an exact match: {sum(partial):.1f} questions' worth, from {len(partial)} answers"
            in wrong)


def test_bad_choices_are_clear_errors(run_dir: Path, capsys) -> None:
    with pytest.raises(ConfigError, match="no row of strategy 'explicit-hybrid' at k=12345; it has .*prior@64"):
        select(run_dir, "explicit-hybrid", "12345")
    with pytest.raises(ConfigError, match=r"at k=16 with --subset-seed 99; its subset seeds are 0, 1"):
        select(run_dir, "none", "16", subset_seeds=(99,))
    cut = run_dir / "cut.jsonl"
    cut.write_text('{"run_id": "interrupted", "strat')
    with pytest.raises(ConfigError, match=r"it has none \(1 cut-short line\(s\) skipped\)"):
        select(cut, "none", "16")
    with pytest.raises(ConfigError, match="--which must be one of"):
        select(run_dir, "none", "16", "best")
    assert main(["traces", "--rows", str(run_dir / "nowhere.jsonl"), "--strategy", "none", "--k", "16"]) == 2
    assert "no results file at" in capsys.readouterr().err
    assert main(["traces", "--rows", str(run_dir), "--strategy", "none", "--k", "16", "--limit", "2",
                 "--baseline", "prior"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("none at k=16: ") and "prior is right on" in out and "none is right" not in out


def test_an_answer_is_found_in_supporting_paragraphs_distractors_both_or_neither() -> None:
    from decomp.curves.traces import answer_source
    from decomp.data.schema import Answer as Gold
    from decomp.data.schema import Example, Paragraph

    example = Example(id="q", source="hotpotqa", question="Who directed Dark Tower?", answers=(Gold(spans=("Ron",)),),
                      context=(Paragraph("Dark Tower (film)", "Dark Tower is a film directed by Ron Howard."),
                               Paragraph("Rugrats", "Rugrats is a cartoon. Ron Howard did not make it."),
                               Paragraph("Ron Howard", "Ron Howard is a director from Oklahoma.")),
                      supporting_facts=(("Dark Tower (film)", 0), ("Ron Howard", 0)))
    assert answer_source(example, "Oklahoma") == ("supporting only", ["Ron Howard"])
    assert answer_source(example, " cartoon") == ("distractors only", ["Rugrats"])
    assert answer_source(example, "Ron Howard") == ("both", ["Dark Tower (film)", "Rugrats", "Ron Howard"])
    assert answer_source(example, "yes") == ("neither", []) and answer_source(example, "") == ("neither", [])
    assert answer_source(example, "no") == ("neither", [])  # not inside "not" or "cartoon": whole words only
    assert answer_source(example, "Oklahoma.") == ("supporting only", ["Ron Howard"])  # ends in punctuation


def test_where_reads_the_paragraphs_each_run_saw(data_dir: Path, tmp_path: Path) -> None:
    # The committed HotpotQA curve ran with `context: gold` (supporting paragraphs only): no answer can stand in a
    # distractor, and every paragraph is a supporting one.
    hotpotqa = ROWS.parents[1] / "hotpotqa-cpu" / "results.jsonl"
    selection = select(hotpotqa, "none", "all", "all", subset_seeds=(0,), where=True)
    found = {v.source for v in selection.views}
    assert selection.supporting_share == 1.0 and found <= {"supporting only", "neither"}
    assert "supporting only" in found
    assert all(v.source_titles for v in selection.views if v.source == "supporting only")
    counts = {s: sum(v.source == s for v in selection.views) for s in ("supporting only", "neither")}
    line = (f"  found in: supporting only {counts['supporting only']}, distractors only 0, both 0, neither "
            f"{counts['neither']} (supporting paragraphs are 100% of these questions' paragraphs)")
    assert line in selection.summary()
    assert "    found in: supporting only (" in format_selection(selection, limit=62)
    with pytest.raises(ConfigError, match="the questions of 'drop' name no supporting paragraphs"):
        select(ROWS, "none", "all", where=True)


@pytest.mark.slow
def test_a_gold_context_with_distractors_is_recorded_and_where_reads_it(data_dir: Path, tmp_path: Path) -> None:
    import yaml

    from tests.curves.conftest import tiny_config

    config = tmp_path / "curve.yaml"
    config.write_text(yaml.safe_dump(tiny_config(
        name="gold-plus-one", dataset="hotpotqa", strategies=["prior"], sizes=[8], training_seeds=[0],
        data={"protocol": "gold", "n_folds": 5, "context": "gold", "n_distractors": 1, "eval_limit": 12},
        folds=[0])))
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    (row,) = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert (row["context"], row["n_distractors"]) == ("gold", 1)
    selection = select(run_dir, "prior", "8", "all", where=True)
    # Two supporting paragraphs and one distractor per question, as the run saw them.
    assert selection.supporting_share == pytest.approx(2 / 3) and len(selection.views) == row["n_eval"]


def _view(run_id: str, i: int, mine: tuple[str, float], theirs: tuple[str, float]) -> TraceView:
    return TraceView(run_id, f"q{i}", [], Answer("explicit-hybrid", mine[0], mine[1], mine[1]),
                     [Answer("none", theirs[0], theirs[1], theirs[1])])


def test_without_constants_drops_the_questions_a_constant_answer_decides() -> None:
    # 20 questions: `none` answers "2" on 8 (right on 4), reads the other 12 (right on 6); the strategy reads
    # all 20 (right on 6 of the 12, 2 of the 8): behind by 2 questions, all of it on the constant's questions
    views = [_view("r0", i, (f"a{i}", float(i < 2)), ("2", float(i < 4))) for i in range(8)]
    views += [_view("r0", i, (f"a{i}", float(i % 2 == 0)), (f"b{i}", float(i % 2 == 0))) for i in range(8, 20)]
    selection = Selection("explicit-hybrid", "16", "all", ["none"], ["r0"], 20, views, [])
    lines = without_constants(selection, 0.25)
    assert "none '2' x1" in lines[0] and "explicit-hybrid none" in lines[0]  # "2" on 8 of 20 = 40% >= 25%
    assert lines[1] == "every question: 20 questions, explicit-hybrid EM 40.0, none EM 50.0, difference -10.0"
    assert lines[2] == "neither gives a constant: 12 questions, explicit-hybrid EM 50.0, none EM 50.0, difference +0.0"
    assert without_constants(selection, 0.5)[2].startswith("neither gives a constant: 20 questions")  # 40% < 50%
    with pytest.raises(ConfigError, match="--which all"):
        without_constants(Selection("explicit-hybrid", "16", "correct", ["none"], ["r0"], 20, views, []), 0.25)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        without_constants(selection, 5)


def test_without_constants_on_the_command_line(run_dir: Path, capsys) -> None:
    assert main(["traces", "--rows", str(run_dir), "--strategy", "explicit-hybrid", "--k", "16", "--which", "all",
                 "--baseline", "none", "--subset-seed", "0", "--without-constants", "0.05"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = _rows()
    mine, none = rows["explicit-hybrid", "16"]["examples"], rows["none", "16"]["examples"]
    em = [100 * sum(ex[i]["em"] for i in mine) / len(mine) for ex in (mine, none)]
    assert out[1] == (f"every question: {len(mine)} questions, explicit-hybrid EM {em[0]:.1f}, none EM {em[1]:.1f}, "
                      f"difference {em[0] - em[1]:+.1f}")
    assert out[2].startswith("neither gives a constant: ")
