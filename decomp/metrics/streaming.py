"""Running DROP / HotpotQA EM and F1 for Lightning, as a torchmetrics `Metric`.

The states are sums (EM, F1, question count) reduced by summing, so the score is the same whether
the questions are split over batches or over devices.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics import Metric

from decomp.metrics import METRICS, em_f1


class QAMetric(Metric):
    """Mean EM and F1 of answers under the official DROP or HotpotQA semantics.

    `compute()` returns {"em": ..., "f1": ...} in percent (fraction * 100, as papers report), as
    float64 tensors; NaN before any update.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, metric: str = "drop", **kwargs) -> None:
        super().__init__(**kwargs)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
        self.metric = metric
        for name in ("em_sum", "f1_sum"):
            self.add_state(name, default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, predictions: Sequence, golds: Sequence, metric: str | None = None) -> None:
        """Add a batch. For "drop" each gold lists the alternatives (each a string or a list of spans);
        for "hotpot" each gold is a string. `metric` defaults to the one given at construction."""
        if len(predictions) != len(golds):
            raise ValueError(f"{len(predictions)} predictions but {len(golds)} golds")
        scores = [em_f1(p, g, metric or self.metric) for p, g in zip(predictions, golds, strict=True)]
        self.em_sum += sum(em for em, _ in scores)
        self.f1_sum += sum(f1 for _, f1 in scores)
        self.count += len(scores)

    def compute(self) -> dict[str, torch.Tensor]:
        return {"em": self.em_sum / self.count * 100, "f1": self.f1_sum / self.count * 100}
