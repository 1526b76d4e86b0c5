"""HotpotQA answer, supporting-fact and joint scores against cases verified with the official script."""

from __future__ import annotations

import pytest

from decomp.metrics import hotpot_answer_scores, hotpot_em_f1, hotpot_scores, hotpot_sp_scores

# /work/shared/docs/metric-vectors.md H3, H5a, H5b: (prediction, gold, EM, F1)
REFERENCE = [("cat cat", "cat", 0.0, 2 / 3), ("the the cat", "cat", 1.0, 1.0), ("Yes.", "yes", 1.0, 1.0)]

# All tables below were checked against the official hotpotqa/hotpot `hotpot_evaluate_v1.py`
# (`exact_match_score`, `f1_score`, `update_sp`, `eval`) to the last decimal.
ANSWERS = [  # prediction, gold, EM, (F1, precision, recall)
    ("cat cat", "cat", 0.0, (0.6666666666666666, 0.5, 1.0)),
    ("the the cat", "cat", 1.0, (1.0, 1.0, 1.0)),
    ("Yes.", "yes", 1.0, (1.0, 1.0, 1.0)),
    ("yes", "no", 0.0, (0.0, 0.0, 0.0)),
    ("no", "No!", 1.0, (1.0, 1.0, 1.0)),
    ("yes", "yes it is", 0.0, (0.0, 0.0, 0.0)),  # gate: a yes/no prediction must equal the gold
    ("yes it is", "yes", 0.0, (0.0, 0.0, 0.0)),  # gate: a yes/no gold must be matched exactly
    ("noanswer", "no answer", 0.0, (0.0, 0.0, 0.0)),
    ("no answer", "noanswer", 0.0, (0.0, 0.0, 0.0)),
    ("the yes", "yes", 1.0, (1.0, 1.0, 1.0)),
    ("", "", 1.0, (0.0, 0.0, 0.0)),  # equal but no tokens: EM 1, F1 0
    ("cat", "", 0.0, (0.0, 0.0, 0.0)),
    ("Barack Obama", "Obama", 0.0, (0.6666666666666666, 0.5, 1.0)),
    ("Obama", "Barack Obama", 0.0, (0.6666666666666666, 1.0, 0.5)),
    ("the cat sat", "a cat sat on the mat", 0.0, (0.6666666666666666, 1.0, 0.5)),
    ("1,000", "1000", 1.0, (1.0, 1.0, 1.0)),
    ("78.0", "78", 0.0, (0.0, 0.0, 0.0)),  # no number normalisation, unlike DROP
    ("New-York", "new york", 0.0, (0.0, 0.0, 0.0)),  # the hyphen is removed, not split on
    ("Café", "café", 1.0, (1.0, 1.0, 1.0)),
    ("a an the", "", 1.0, (0.0, 0.0, 0.0)),
]
SUPPORTING_FACTS = [  # prediction, gold, (sp_em, sp_f1, sp_prec, sp_recall)
    ([["A", 0], ["B", 1]], [["A", 0], ["B", 1]], (1.0, 1.0, 1.0, 1.0)),
    ([["A", 0]], [["A", 0], ["B", 1]], (0.0, 0.6666666666666666, 1.0, 0.5)),
    ([["A", 0], ["B", 1], ["C", 2]], [["A", 0], ["B", 1]], (0.0, 0.8, 0.6666666666666666, 1.0)),
    ([], [["A", 0]], (0.0, 0.0, 0.0, 0.0)),
    ([], [], (1.0, 0.0, 0.0, 0.0)),
    ([["A", 0], ["A", 0]], [["A", 0]], (1.0, 1.0, 1.0, 1.0)),  # duplicates collapse
    ([["A", 1]], [["A", 0]], (0.0, 0.0, 0.0, 0.0)),
    ([["B", 1], ["A", 0]], [("A", 0), ("B", 1)], (1.0, 1.0, 1.0, 1.0)),  # order and list/tuple ignored
]
JOINT = [  # prediction, gold, sp prediction, sp gold, (joint_em, joint_f1, joint_prec, joint_recall)
    ("cat", "cat", [["A", 0]], [["A", 0]], (1.0, 1.0, 1.0, 1.0)),
    ("cat", "cat", [["A", 0]], [["A", 0], ["B", 1]], (0.0, 0.6666666666666666, 1.0, 0.5)),
    ("cat cat", "cat", [["A", 0], ["C", 3]], [["A", 0], ["B", 1]], (0.0, 0.3333333333333333, 0.25, 0.5)),
    ("yes", "no", [["A", 0]], [["A", 0]], (0.0, 0.0, 0.0, 0.0)),
    ("the cat", "cat sat", [], [["A", 0]], (0.0, 0.0, 0.0, 0.0)),
    ("Obama", "Barack Obama", [["A", 0], ["B", 2]], [["A", 0], ["B", 1], ["C", 0]],
     (0.0, 0.25, 0.5, 0.16666666666666666)),
]


@pytest.mark.parametrize(("prediction", "gold", "em", "f1"), REFERENCE)
def test_reference_vectors(prediction, gold, em, f1):
    assert hotpot_em_f1(prediction, gold) == pytest.approx((em, f1), abs=1e-12)


@pytest.mark.parametrize(("prediction", "gold", "em", "f1_prec_recall"), ANSWERS)
def test_answer_scores_match_official(prediction, gold, em, f1_prec_recall):
    scores = hotpot_answer_scores(prediction, gold)
    assert (scores["em"], scores["f1"], scores["prec"], scores["recall"]) == (em, *f1_prec_recall)
    assert hotpot_em_f1(prediction, gold) == (em, f1_prec_recall[0])
    assert all(type(v) is float for v in scores.values())


@pytest.mark.parametrize(("prediction", "gold", "expected"), SUPPORTING_FACTS)
def test_supporting_fact_scores_match_official(prediction, gold, expected):
    scores = hotpot_sp_scores(prediction, gold)
    assert tuple(scores[k] for k in ("sp_em", "sp_f1", "sp_prec", "sp_recall")) == expected


@pytest.mark.parametrize(("prediction", "gold", "sp_prediction", "sp_gold", "expected"), JOINT)
def test_joint_scores_match_official(prediction, gold, sp_prediction, sp_gold, expected):
    scores = hotpot_scores(prediction, gold, sp_prediction, sp_gold)
    assert tuple(scores[k] for k in ("joint_em", "joint_f1", "joint_prec", "joint_recall")) == expected
    assert scores.keys() == {"em", "f1", "prec", "recall", "sp_em", "sp_f1", "sp_prec", "sp_recall",
                             "joint_em", "joint_f1", "joint_prec", "joint_recall"}
    assert scores["f1"] == hotpot_em_f1(prediction, gold)[1]
    assert scores["sp_f1"] == hotpot_sp_scores(sp_prediction, sp_gold)["sp_f1"]
