"""HotpotQA answer, supporting-fact and joint scores, matching the official `hotpot_evaluate_v1.py`.

Answers are lower-cased, stripped of punctuation and articles and compared token by token (counts
matter). A prediction or gold of "yes", "no" or "noanswer" scores F1 0 unless both are equal.
Supporting facts are compared as sets of (title, sentence index) pairs. The joint scores multiply the
answer and supporting-fact precisions and recalls (joint EM: both exact). Values are not rounded.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)
_GATED = ("yes", "no", "noanswer")


def normalize_answer(text: str) -> str:
    """The official `normalize_answer`."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def hotpot_answer_scores(prediction: str, gold: str) -> dict[str, float]:
    """em, f1, prec, recall of one answer (the official `exact_match_score` and `f1_score`)."""
    pred, ref = normalize_answer(prediction), normalize_answer(gold)
    em = float(pred == ref)
    if pred != ref and (pred in _GATED or ref in _GATED):
        return {"em": em, "f1": 0.0, "prec": 0.0, "recall": 0.0}
    pred_tokens, ref_tokens = pred.split(), ref.split()
    same = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if same == 0:
        return {"em": em, "f1": 0.0, "prec": 0.0, "recall": 0.0}
    prec, recall = same / len(pred_tokens), same / len(ref_tokens)
    return {"em": em, "f1": 2 * prec * recall / (prec + recall), "prec": prec, "recall": recall}


def hotpot_em_f1(prediction: str, gold: str) -> tuple[float, float]:
    """(EM, F1) of one answer, as the official script."""
    scores = hotpot_answer_scores(prediction, gold)
    return scores["em"], scores["f1"]


def hotpot_sp_scores(prediction: Iterable[Sequence], gold: Iterable[Sequence]) -> dict[str, float]:
    """sp_em, sp_f1, sp_prec, sp_recall over (title, sentence index) pairs (the official `update_sp`)."""
    pred, ref = set(map(tuple, prediction)), set(map(tuple, gold))
    tp = len(pred & ref)
    prec = tp / len(pred) if pred else 0.0
    recall = tp / len(ref) if ref else 0.0
    f1 = 2 * prec * recall / (prec + recall) if prec + recall > 0 else 0.0
    return {"sp_em": float(pred == ref), "sp_f1": f1, "sp_prec": prec, "sp_recall": recall}


def hotpot_scores(prediction: str, gold: str, sp_prediction: Iterable[Sequence],
                  sp_gold: Iterable[Sequence]) -> dict[str, float]:
    """All twelve per-question scores of the official `eval`, keyed by its names (answer, sp_*, joint_*).

    The official corpus score is the mean of each over the questions.
    """
    scores = hotpot_answer_scores(prediction, gold) | hotpot_sp_scores(sp_prediction, sp_gold)
    prec, recall = scores["prec"] * scores["sp_prec"], scores["recall"] * scores["sp_recall"]
    f1 = 2 * prec * recall / (prec + recall) if prec + recall > 0 else 0.0
    return scores | {"joint_em": scores["em"] * scores["sp_em"], "joint_f1": f1,
                     "joint_prec": prec, "joint_recall": recall}
