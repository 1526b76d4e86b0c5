"""Breakdowns of a run's predictions: scores per QDMR operator, and the answers given to count questions.

Both take the prediction records a reader writes (`example_id`, `prediction`, `em`, `f1`) and read the
examples by id, never by position.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from decomp.data.schema import Example

_COUNT_STEP = re.compile(r"(?:the )?(?:number|count) of #\d+", re.IGNORECASE)


def per_operator(records: Sequence[Mapping], operators: Mapping[str, Sequence[str]]) -> dict[str, dict]:
    """EM/F1 (percent) over the questions whose decomposition uses each operator."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for r in records:
        for op in set(operators.get(r["example_id"], ())):
            s = sums[op]
            s[0] += r["em"]
            s[1] += r["f1"]
            s[2] += 1
    return {op: {"em": 100 * em / n, "f1": 100 * f1 / n, "n": n} for op, (em, f1, n) in sorted(sums.items())}


def is_count_question(example: Example) -> bool:
    """Whether the question's decomposition ends in a count ("number of #k"), the step whose answer a
    one-answer-per-step reader would always make "1"."""
    if not example.decomposition:
        return False
    last = example.decomposition[-1]
    return last.operator == "aggregate" and _COUNT_STEP.fullmatch(re.sub(r"\s+", " ", last.text).strip()
                                                                  .rstrip("?. ")) is not None


def executor_answer_distribution(records: Sequence[Mapping], examples: Sequence[Example]) -> dict[str, int]:
    """{final answer text: number of questions} over the count questions among `examples` that have a
    record (matched by id), most frequent first; the share of "1" shows whether counting really counts."""
    counts = {e.id for e in examples if is_count_question(e)}
    answers = Counter(str(r["prediction"]).strip() for r in records if r["example_id"] in counts)
    return dict(sorted(answers.items(), key=lambda kv: (-kv[1], kv[0])))
