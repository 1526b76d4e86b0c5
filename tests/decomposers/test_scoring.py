from __future__ import annotations

import pytest

from decomp.decomposers.scoring import break_string, normal_form, sari, score_decompositions
from decomp.qdmr.steps import Step, references_of


def steps(*pairs: tuple[str, str]) -> tuple[Step, ...]:
    return tuple(Step(t, o, references_of(t)) for o, t in pairs)


def test_sari_by_hand():
    assert sari("a b", "a c", "a c") == pytest.approx(1.0)
    # keep 4/4, delete 4/4, add: unigram and bigram recall 0 (F=0), 3- and 4-grams empty (1): 2/4.
    assert sari("a b", "a", "a c") == pytest.approx(10 / 12)


def test_normal_form_ignores_case_determiners_and_step_order():
    assert normal_form(["The film", "the director of #1"]) == ("film", "director of #1")
    assert normal_form(["x", "y", "#1 and #2"]) == normal_form(["y", "x", "#2 and #1"])
    assert normal_form(["x", "#3"]) is None


def test_scores_on_hand_checked_pairs():
    gold = {"q1": steps(("select", "the film Titanic"), ("project", "director of #1")),
            "q2": steps(("select", "x"), ("select", "y"), ("arithmetic", "difference of #1 and #2")),
            "q3": steps(("select", "a")),
            "q4": steps(("select", "b"))}
    pred = {"q1": steps(("select", "The Film Titanic"), ("project", "director of #1")),  # EM (case only)
            "q2": steps(("select", "y"), ("select", "x"), ("arithmetic", "difference of #2 and #1")),  # norm EM
            "q3": (Step("a", "select"), Step("#3", "project", (3,)))}  # invalid; q4 missing
    questions = {"q1": "Who directed the film Titanic?", "q2": "x minus y", "q3": "a", "q4": "b"}
    scores = score_decompositions(pred, gold, questions)
    assert scores["n"] == 4 and scores["missing"] == 1
    assert scores["exact_match"] == pytest.approx(1 / 4)
    assert scores["normalized_exact_match"] == pytest.approx(2 / 4)
    assert scores["valid"] == pytest.approx(2 / 4)
    assert break_string(pred["q1"]) == "return The Film Titanic ;return director of #1"
    ops = scores["operators"]
    # select: gold 1+2+1+1 = 5 steps; matched the film titanic, x, y, a = 4; predicted 1+2+1 = 4.
    assert (ops["select"]["gold"], ops["select"]["predicted"], ops["select"]["matched"]) == (5, 4, 4)
    assert ops["arithmetic"]["recall"] == 1.0 and ops["project"]["precision"] == pytest.approx(1 / 2)
    exact = sari("Who directed the film Titanic?", break_string(gold["q1"]), break_string(gold["q1"]))
    assert exact == pytest.approx(1.0)
