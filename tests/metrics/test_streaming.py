"""The torchmetrics wrapper: per-batch accumulation, cross-device reduction, percent output."""

from __future__ import annotations

import pytest

from decomp.metrics import em_f1, mean_em_f1
from decomp.metrics.streaming import QAMetric

DROP_PREDICTIONS = ["78", ["td"], ["23", "23 yard"], "17 August", "nothing"]
DROP_GOLDS = [[["78.0"]], [["td", "td"]], [["23-yard", "56 yards"]], [["17 August"], "August"], ["x"]]
# per question (EM, F1): (1, 1), (0, .5), (0, .5), (1, 1), (0, 0)
DROP_EXPECTED = {"em": 40.0, "f1": 60.0}


def _floats(scores: dict) -> dict[str, float]:
    return {k: float(v) for k, v in scores.items()}


def test_drop_mean_in_percent():
    metric = QAMetric("drop")
    metric.update(DROP_PREDICTIONS, DROP_GOLDS)
    assert _floats(metric.compute()) == DROP_EXPECTED == mean_em_f1(DROP_PREDICTIONS, DROP_GOLDS, "drop")


def test_batches_and_devices_give_the_same_score():
    batched = QAMetric()
    for i in range(0, 5, 2):
        batched.update(DROP_PREDICTIONS[i:i + 2], DROP_GOLDS[i:i + 2])
    # two "devices" whose sums are reduced the way DDP does (dist_reduce_fx="sum")
    first, second = QAMetric(), QAMetric()
    first.update(DROP_PREDICTIONS[:3], DROP_GOLDS[:3])
    second.update(DROP_PREDICTIONS[3:], DROP_GOLDS[3:])
    first.merge_state(second)
    assert _floats(batched.compute()) == pytest.approx(DROP_EXPECTED)
    assert _floats(first.compute()) == pytest.approx(DROP_EXPECTED)
    assert int(first.count) == 5


def test_hotpot_and_per_update_metric():
    metric = QAMetric("hotpot")
    metric.update(["cat cat", "Yes."], ["cat", "yes"])
    assert _floats(metric.compute()) == pytest.approx({"em": 50.0, "f1": (2 / 3 + 1) / 2 * 100})
    drop = QAMetric("drop")
    drop.update(["78"], ["78.0"], metric="hotpot")  # HotpotQA does not normalise numbers
    assert _floats(drop.compute()) == {"em": 0.0, "f1": 0.0}


def test_reset_and_forward():
    metric = QAMetric()
    assert _floats(metric(["78"], [["78.0"]])) == {"em": 100.0, "f1": 100.0}  # forward: this batch only
    metric.update(["x"], [["y"]])
    assert _floats(metric.compute()) == {"em": 50.0, "f1": 50.0}
    metric.reset()
    metric.update(["x"], [["y"]])
    assert _floats(metric.compute()) == {"em": 0.0, "f1": 0.0}


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown metric"):
        QAMetric("squad")
    with pytest.raises(ValueError, match="unknown metric"):
        em_f1("x", "x", "squad")
    with pytest.raises(ValueError, match="2 predictions but 1 golds"):
        QAMetric().update(["a", "b"], [["a"]])
    with pytest.raises(ValueError, match="no predictions"):
        mean_em_f1([], [])
