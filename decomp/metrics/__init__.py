"""The official DROP and HotpotQA answer metrics, per question, per corpus and streaming.

`decomp.metrics.streaming.QAMetric` is the Lightning (torchmetrics) form; `evaluate_module_path("drop")`
or `("hotpotqa")` is a folder that `evaluate.load` takes, offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from decomp.metrics.drop import (
    Spans,
    drop_answer_strings,
    drop_em_f1,
    drop_em_f1_example,
    drop_em_f1_max,
)
from decomp.metrics.hotpot import (
    hotpot_answer_scores,
    hotpot_em_f1,
    hotpot_scores,
    hotpot_sp_scores,
)

METRICS = ("drop", "hotpot")
_EVALUATE_MODULES = ("drop", "hotpotqa")

__all__ = [
    "METRICS", "drop_answer_strings", "drop_em_f1", "drop_em_f1_example", "drop_em_f1_max", "em_f1",
    "evaluate_module_path", "hotpot_answer_scores", "hotpot_em_f1", "hotpot_scores", "hotpot_sp_scores",
    "mean_em_f1",
]


def em_f1(prediction: Spans, gold: Sequence[Spans] | str, metric: str = "drop") -> tuple[float, float]:
    """(EM, F1) of one question: for "drop" `gold` lists the alternatives (max over them, as the
    official script); for "hotpot" it is the one gold string."""
    if metric == "drop":
        return drop_em_f1_max(prediction, gold)
    if metric == "hotpot":
        return hotpot_em_f1(prediction, gold)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def mean_em_f1(predictions: Sequence, golds: Sequence, metric: str = "drop") -> dict[str, float]:
    """Mean EM and F1 over questions, in percent (the official corpus scores times 100)."""
    if len(predictions) != len(golds):
        raise ValueError(f"{len(predictions)} predictions but {len(golds)} golds")
    if not predictions:
        raise ValueError("no predictions to score")
    scores = [em_f1(p, g, metric) for p, g in zip(predictions, golds, strict=True)]
    n = len(scores)
    return {"em": sum(em for em, _ in scores) / n * 100, "f1": sum(f1 for _, f1 in scores) / n * 100}


def evaluate_module_path(name: str) -> str:
    """The folder of the `evaluate` metric module "drop" or "hotpotqa", for `evaluate.load(path)`."""
    if name not in _EVALUATE_MODULES:
        raise ValueError(f"unknown evaluate module {name!r}; expected one of {_EVALUATE_MODULES}")
    return str(Path(__file__).parent / "evaluate" / name)
