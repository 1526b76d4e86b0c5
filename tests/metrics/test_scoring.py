from __future__ import annotations

import pytest

from decomp.data.datasets import DATASETS, Dataset
from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import ConfigError
from decomp.metrics import scoring
from decomp.metrics.scoring import metric_for, prediction_record, score
from decomp.types import Prediction


def _example(source: str, *answers: Answer) -> Example:
    return Example(id="e", source=source, question="q?", context=(Paragraph("", "text"),), answers=answers)


def test_metric_follows_the_source():
    assert metric_for("drop") == metric_for("synthetic-drop") == "drop"
    assert metric_for("hotpotqa") == metric_for("synthetic-hotpot") == "hotpot"
    with pytest.raises(ConfigError, match="cwq"):
        metric_for("cwq")
    # adaptation records: their dataset's metric where it names one, else DROP's (SQuAD-style sets, numeric practice)
    assert metric_for("adapt-hotpotqa-train") == "hotpot"
    assert metric_for("adapt-squad") == metric_for("adapt-synthetic-numeric") == "drop"
    with pytest.raises(ConfigError, match="gives 'numeric'"):
        metric_for("synthetic-numeric")  # outside adaptation, a source the dataset gives no metric for is an error


def _dataset(name: str, metric: str) -> type[Dataset]:
    return type(name, (Dataset,), {"name": name, "metric": metric})  # not registered: no decorator


def test_the_metric_is_the_registered_datasets(monkeypatch):
    # One place picks it: `Dataset.metric_for` of the dataset whose name the source starts with.
    registry = {**DATASETS, "drop": _dataset("drop", "hotpot"), "cwq": _dataset("cwq", "drop")}
    monkeypatch.setattr(scoring, "DATASETS", registry)
    assert metric_for("drop") == "hotpot" and metric_for("cwq") == metric_for("cwq-simple") == "drop"
    assert metric_for("synthetic-hotpot") == "hotpot"  # synthetic's own metric_for reads the source
    with pytest.raises(ConfigError, match="'cwqx'"):
        metric_for("cwqx")  # a prefix must end at a dash
    registry["cwq"] = _dataset("cwq", "f1")
    with pytest.raises(ConfigError, match="'f1'"):
        metric_for("cwq")
    with pytest.raises(ConfigError, match="'synthetic-squad'.*'squad'"):
        metric_for("synthetic-squad")


def test_drop_scores_numbers_as_numbers_and_takes_the_best_alternative():
    example = _example("drop", Answer(number="78.0"), Answer.span("seventy-eight"))
    assert score("78", example) == (1.0, 1.0)
    assert score("seventy-eight", example) == (1.0, 1.0)


def test_hotpot_scores_against_each_alternative():
    example = _example("hotpotqa", Answer.span("the cat"))
    assert score("Cat.", example) == (1.0, 1.0)
    em, f1 = score("cat cat", example)
    assert em == 0.0 and f1 == pytest.approx(2 / 3)


def test_prediction_record_keeps_trace_and_gold():
    example = _example("drop", Answer.span("a", "b"))
    record = prediction_record(example, Prediction("e", "a", [{"step": 0, "answer": "a"}]))
    assert record["gold"] == [["a", "b"]] and record["trace"] == [{"step": 0, "answer": "a"}]
    assert record["em"] == 0.0 and record["f1"] == 0.5


def test_adaptation_records_score_by_their_dataset_else_as_drop():
    # `adapt-<name>` (decomp.data.adaptation): the dataset the name starts with, else DROP's span metric.
    assert metric_for("adapt-hotpotqa-train") == metric_for("adapt-hotpotqa-dev-outside") == "hotpot"
    assert metric_for("adapt-drop-train-steps") == metric_for("adapt-squad") == metric_for("adapt-quoref") == "drop"
    example = _example("adapt-hotpotqa-train", Answer.span("the cat"))
    assert score("cat cat", example)[1] == pytest.approx(2 / 3)  # HotpotQA's F1 (DROP's bag-of-words gives 1.0)
    assert score("cat cat", _example("adapt-squad", Answer.span("the cat"))) != score("cat cat", example)
    with pytest.raises(ConfigError, match="'cwq'"):
        metric_for("cwq")  # outside adaptation, a source no dataset names is still an error
