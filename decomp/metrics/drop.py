"""DROP exact match and F1, matching the official evaluation to the last decimal.

Same semantics as allennlp-models `allennlp_models/rc/tools/drop.py` (`get_metrics`, `evaluate_json`):
an answer is a string or a list/tuple of spans; each span is split on spaces and hyphens, and each token
lower-cased, stripped of punctuation (unless it parses as a number), rewritten as a float if it is a
number ("78" -> "78.0") and stripped of articles. EM compares the normalised spans as sets of equal
size. F1 pairs predicted and gold spans one-to-one (linear_sum_assignment) by bag-of-token F1, where a
pair scores 0 when the gold span has numbers and the prediction none of them; the pair scores are
averaged over max(#predicted, #gold) spans and rounded to 2 decimals.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from decomp.data.schema import Example
from decomp.errors import DataError

Spans = str | Sequence[str]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def _is_number(text: str) -> bool:
    try:
        float(text)  # Python's float() on purpose: it also accepts "1_000", "nan", "inf", non-ASCII digits
    except ValueError:
        return False
    return True


def _normalize_token(token: str) -> str:
    token = token.lower()
    if not _is_number(token):
        token = "".join(ch for ch in token if ch not in _PUNCTUATION)
    if _is_number(token):
        token = str(float(token))
    return " ".join(_ARTICLES.sub(" ", token).split())


def normalize_span(text: str) -> str:
    """One span as the DROP metric sees it (the official `_normalize_answer`)."""
    return " ".join(part for part in map(_normalize_token, re.split(" |-", text)) if part)


def _bags(answer: Spans) -> tuple[list[str], list[set[str]]]:
    spans = answer if isinstance(answer, list | tuple) else [answer]
    normalized = [normalize_span(span) for span in spans]
    return normalized, [set(span.split()) for span in normalized]


def _bag_f1(predicted: set[str], gold: set[str]) -> float:
    common = len(gold & predicted)
    precision = common / len(predicted) if predicted else 1.0
    recall = common / len(gold) if gold else 1.0
    return 2 * precision * recall / (precision + recall) if precision or recall else 0.0


def _numbers_match(gold: set[str], predicted: set[str]) -> bool:
    gold_numbers = {w for w in gold if _is_number(w)}
    return not gold_numbers or bool(gold_numbers & {w for w in predicted if _is_number(w)})


def drop_em_f1(prediction: Spans, gold: Spans) -> tuple[float, float]:
    """(EM, F1) of one prediction against one gold answer, as the official `get_metrics`.

    The one difference: an empty prediction list against an empty gold list scores (1.0, 1.0), where
    the official code averages an empty array and returns a NaN F1.
    """
    pred_spans, pred_bags = _bags(prediction)
    gold_spans, gold_bags = _bags(gold)
    em = float(set(pred_spans) == set(gold_spans) and len(pred_spans) == len(gold_spans))
    scores = np.zeros((len(gold_bags), len(pred_bags)))
    for i, gold_bag in enumerate(gold_bags):
        for j, pred_bag in enumerate(pred_bags):
            if _numbers_match(gold_bag, pred_bag):
                scores[i, j] = _bag_f1(pred_bag, gold_bag)
    rows, cols = linear_sum_assignment(-scores)
    best = np.zeros(max(len(gold_bags), len(pred_bags)))
    best[rows] = scores[rows, cols]
    # numpy's mean and round, as the official code: a mean of 0.825 gives 0.82 (Python's round: 0.83)
    return em, float(round(np.mean(best), 2)) if best.size else 1.0


def drop_em_f1_max(prediction: Spans, golds: Sequence[Spans]) -> tuple[float, float]:
    """Best EM and best F1 (each maximised separately) over the gold alternatives, as `evaluate_json`.

    `golds` lists the alternatives (the answer and the validated answers), each a string or a list of
    spans; a bare string is one alternative. Alternatives whose first span is blank are skipped, as in
    the official code; with none left both scores are 0.
    """
    em = f1 = 0.0
    for gold in [golds] if isinstance(golds, str) else golds:
        spans = [gold] if isinstance(gold, str) else gold
        if spans and spans[0].strip():
            gold_em, gold_f1 = drop_em_f1(prediction, gold)
            em, f1 = max(em, gold_em), max(f1, gold_f1)
    return em, f1


def drop_answer_strings(answer: Mapping) -> tuple[str, ...]:
    """A DROP answer dict ({number, spans, date}) as the strings scored, as `answer_json_to_strings`.

    A date is its non-empty parts, day month year, joined by spaces (an empty date gives one blank string,
    which `drop_em_f1_max` skips).
    """
    if answer.get("number"):
        return (str(answer["number"]),)
    if answer.get("spans"):
        return tuple(answer["spans"])
    if "date" in answer:
        date = answer["date"] or {}
        return (" ".join(str(date[k]) for k in ("day", "month", "year") if date.get(k)),)
    raise DataError("the answer has none of number, spans, date", field="answer")


def drop_em_f1_example(prediction: Spans, example: Example) -> tuple[float, float]:
    """(EM, F1) of a prediction against every gold answer of an example (max over `gold_texts()`)."""
    return drop_em_f1_max(prediction, example.gold_texts())
