from __future__ import annotations

import pytest

from decomp.decomposers import break_eval
from decomp.decomposers.scoring import normal_form, score_decompositions
from decomp.qdmr.steps import Step, references_of, to_break_string


def steps(*pairs: tuple[str, str]) -> tuple[Step, ...]:
    return tuple(Step(t, o, references_of(t)) for o, t in pairs)


def test_sari_by_hand():
    assert break_eval.sari_tokens(["a", "b"], ["a", "c"], ["a", "c"]) == pytest.approx(1.0)
    # keep 4/4, delete 4/4, add: unigram and bigram recall 0 (F=0), 3- and 4-grams empty (1): 2/4.
    assert break_eval.sari_tokens(["a", "b"], ["a"], ["a", "c"]) == pytest.approx(10 / 12)


def test_normal_form_ignores_case_determiners_and_step_order():
    assert normal_form(["The film", "the director of #1"]) == ("film", "director of #1")
    assert normal_form(["x", "y", "#1 and #2"]) == normal_form(["y", "x", "#2 and #1"])
    assert normal_form(["x", "#3"]) is None


@pytest.mark.slow  # the first to import spaCy (for the lookup lemmas)
def test_scores_on_hand_checked_pairs():
    gold = {"q1": steps(("select", "the film Titanic"), ("project", "director of #1")),
            "q2": steps(("select", "x"), ("select", "y"), ("arithmetic", "difference of #1 and #2")),
            "q3": steps(("select", "a")),
            "q4": steps(("select", "b"))}
    pred = {"q1": steps(("select", "The Film Titanic"), ("project", "director of #1")),  # EM (case only)
            "q2": steps(("select", "y"), ("select", "x"), ("arithmetic", "difference of #2 and #1")),  # norm EM
            "q3": (Step("a", "select"), Step("#3", "project", (3,)))}  # invalid, normalises; q4 missing
    questions = {"q1": "Who directed the film Titanic?", "q2": "x minus y", "q3": "a", "q4": "b"}
    scores = score_decompositions(pred, gold, questions)
    assert scores["n"] == 4 and scores["missing"] == 1 and scores["from_break_rows"] == 0
    assert scores["exact_match"] == pytest.approx(1 / 4) and scores["norm_failed"] == 0
    assert scores["norm_em_approx"] == pytest.approx(2 / 4) and "norm_em" not in scores
    assert scores["valid"] == pytest.approx(2 / 4)
    q1 = scores["examples"]["q1"]
    assert q1["exact_match"] and q1["sari"] == pytest.approx(break_eval.sari(
        questions["q1"], to_break_string(pred["q1"]), to_break_string(gold["q1"])))
    assert scores["sari"] == pytest.approx(sum(e["sari"] for e in scores["examples"].values()) / 4)
    ops = scores["operators"]
    # select: gold 1+2+1+1 = 5 steps; matched the film titanic, x, y, a = 4; predicted 1+2+1 = 4.
    assert (ops["select"]["gold"], ops["select"]["predicted"], ops["select"]["matched"]) == (5, 4, 4)
    assert ops["arithmetic"]["recall"] == 1.0 and ops["project"]["precision"] == pytest.approx(1 / 2)


def test_raw_break_rows_are_what_is_scored_and_failed_normalisations_leave_the_mean():
    gold = {"q1": steps(("select", "punt returns"), ("aggregate", "number of #1"))}
    # The evaluator reads BREAK's raw question (doubled space kept) and raw decomposition.
    raw = {"q1": ("How many punt  returns?", "return punt returns ;return number of #1")}
    pred = {"q1": steps(("select", "many"), ("aggregate", "number of #1"))}
    with_raw = score_decompositions(pred, gold, {"q1": "How many punt returns?"}, raw)
    cleaned = score_decompositions(pred, gold, {"q1": "How many punt returns?"})
    assert with_raw["from_break_rows"] == 1 and with_raw["sari"] != cleaned["sari"]
    assert with_raw["sari"] == break_eval.sari(*raw["q1"][:1], to_break_string(pred["q1"]), raw["q1"][1])
    failing = {"q1": steps(("select", "a"), ("project", "b of #5"))}  # node 5 of 2: the graph cannot be rendered
    scores = score_decompositions(failing, gold, {"q1": "q"}, raw)
    assert scores["norm_failed"] == 1 and scores["examples"]["q1"]["norm_em_approx"] is None


def test_ged_is_optional_and_named():
    gold = {"q1": steps(("select", "films"), ("project", "director of #1"))}
    pred = {"q1": steps(("select", "films"), ("project", "directors of #1"))}
    assert "ged_approx" not in score_decompositions(pred, gold, {"q1": "q"})
    scores = score_decompositions(pred, gold, {"q1": "q"}, ged_timeout=30)
    # Lookup lemmas make "directors" "director": same graph. Without en_core_web_sm the metric is ged_approx.
    assert scores["ged_approx"] == pytest.approx(0.0) and scores["ged_timeouts"] == 0


def test_approx_normal_form_is_the_evaluators_parse_free_part():
    from decomp.decomposers.break_norm import approx_normal_string

    # Lower case, lookup lemmas, no a/an/the, then level by level alphabetically (#k renumbered).
    a = approx_normal_string("return the Players ;return touchdowns ;return number of #2 by #1")
    b = approx_normal_string("return touchdowns ;return players ;return number of #1 by #2")
    assert a == b == "player @@SEP@@ touchdown @@SEP@@ numb of @@2@@ by @@1@@"  # spaCy's lookup: number -> numb
    # Identical steps on one level merge; the evaluator's `return` deletion happens first ("punt s").
    assert approx_normal_string("return x ;return x ;return #1 and #2") == "x @@SEP@@ @@1@@ and @@1@@"
    assert approx_normal_string("return punt returns") == "punt s"
    # A reference past the last step + 1 leaves the evaluator's graph non-contiguous: it cannot be rendered.
    assert approx_normal_string("return x ;return y of #4") is None
    assert approx_normal_string("return x ;return y of #3") == " @@SEP@@ x @@SEP@@ y of @@1@@"  # #3: an empty step
