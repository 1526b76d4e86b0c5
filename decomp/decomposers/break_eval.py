"""EM and SARI on exactly the inputs BREAK's official evaluator scores (allenai/break-evaluator,
`scripts/evaluate_predictions.py`), reimplemented from its behaviour and checked against it per example
(tests/decomposers/fixtures/break_eval_vectors.json).

The evaluator reads a decomposition string (`return a ;return b #1`) through `format_qdmr` and scores
`Decomposition.to_string()` (`a @@SEP@@ b @@1@@`). Its quirks are kept in the official scores:
- the whole string is split on every `;`, so a `;` inside a step makes two steps;
- the substring `return` is deleted everywhere, not just the leading keyword ("punt returns" -> "punt s");
- SARI's source is BREAK's raw `question_text` split on single spaces (a doubled space is an empty token).
`sari_fixed` and `exact_match_fixed` differ only in the two plain bugs: they drop the leading `return` keyword
alone, and split the question on runs of whitespace. They are reported beside the official scores, never instead.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

SEP = " @@SEP@@ "
_REFERENCE = re.compile(r"#(\d+)")
_LEADING_RETURN = re.compile(r"^return\b\s*")


def evaluator_steps(decomposition: str, *, fixed: bool = False) -> list[str]:
    """Step labels as `format_qdmr` makes them (the graph's node labels); `fixed`: only the leading `return` goes."""
    parts = " ".join(decomposition.split()).split(";")
    if fixed:
        parts = [_LEADING_RETURN.sub("", p.strip()) for p in parts]
    else:
        parts = [p.strip().replace("return", "") for p in parts]
    return [_REFERENCE.sub(r"@@\1@@", p) for p in parts]


def evaluator_string(decomposition: str, *, fixed: bool = False) -> str:
    """`Decomposition.to_string()`: one pass of double-space -> single space per step, stripped, ` @@SEP@@ `-joined."""
    return SEP.join(s.replace("  ", " ").strip() for s in evaluator_steps(decomposition, fixed=fixed))


def question_tokens(question: str, *, fixed: bool = False) -> list[str]:
    return question.split() if fixed else question.split(" ")


def exact_match(predicted: str, gold: str, *, fixed: bool = False) -> bool:
    """The evaluator's EM: the formatted strings are equal ignoring case (inputs are `return ...` strings)."""
    return evaluator_string(predicted, fixed=fixed).lower() == evaluator_string(gold, fixed=fixed).lower()


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter({tuple(tokens[i:i + n]): 1 for i in range(len(tokens) + 1 - n)})


def _f(tp: float, selected: float, relevant: float, beta: float = 1.0) -> float:
    precision = tp / selected if selected > 0 else 1.0
    if beta == 0:
        return precision
    recall = tp / relevant if relevant > 0 else 1.0
    if precision > 0 and recall > 0:
        return (1 + beta * beta) * precision * recall / (beta * beta * precision + recall)
    return 0.0


def sari_tokens(source: Sequence[str], prediction: Sequence[str], target: Sequence[str], max_n: int = 4) -> float:
    """SARI (Xu et al. 2016) as tensor2tensor's `sari_hook` computes it for one target: n-grams 1..max_n counted
    once each, deletion scored by precision only, 0/0 = 1; the averages are summed in the same order."""
    keep, add, delete = [], [], []
    for n in range(1, max_n + 1):
        s, p, t = _ngrams(source, n), _ngrams(prediction, n), _ngrams(target, n)
        kept_p, kept_t = s & p, s & t
        keep.append(_f(sum((kept_p & kept_t).values()), sum(kept_p.values()), sum(kept_t.values())))
        del_p, del_t = s - p, s - t
        delete.append(_f(sum((del_p & del_t).values()), sum(del_p.values()), sum(del_t.values()), beta=0))
        added = p - s
        add.append(_f(sum((added & t).values()), sum(added.values()), sum((t - s).values())))
    return (sum(keep) / max_n + sum(add) / max_n + sum(delete) / max_n) / 3.0


def sari(question: str, predicted: str, gold: str, *, fixed: bool = False) -> float:
    """The evaluator's SARI of a predicted against a gold `return ...` string, the question as the source."""
    return sari_tokens(question_tokens(question, fixed=fixed), evaluator_string(predicted, fixed=fixed).split(" "),
                       evaluator_string(gold, fixed=fixed).split(" "))


def read_break_rows(paths: Iterable[str | Path]) -> dict[str, tuple[str, str]]:
    """{question_id: (raw question_text, raw decomposition)} from BREAK CSVs, unchanged: what the evaluator reads."""
    rows: dict[str, tuple[str, str]] = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for record in csv.DictReader(f):
                rows[record["question_id"]] = (record["question_text"], record["decomposition"])
    return rows
