"""Which official metric scores an example (by its source) and the record kept per prediction."""

from __future__ import annotations

from decomp.data.adaptation import SOURCE_PREFIX as ADAPTATION
from decomp.data.datasets import DATASETS
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.metrics import METRICS, drop_em_f1_max, hotpot_em_f1
from decomp.types import Prediction


def metric_for(source: str) -> str:
    """'drop' or 'hotpot', as picked by `Dataset.metric_for` of the registered dataset the source belongs to,
    the one whose name is the source or prefixes it (`drop`, `hotpotqa`, `synthetic-drop`). An adaptation
    record's (`adapt-<name>`) is its dataset's (`adapt-hotpotqa-train`: HotpotQA's), else DROP's, which scores
    the single-span SQuAD-style sets (SQuAD, Quoref, ROPES) as SQuAD's EM and F1 do, and the generator's
    DROP-like numeric practice (`adapt-synthetic-numeric`, whose name is no synthetic kind)."""
    adapted = source.startswith(ADAPTATION)
    source = source.removeprefix(ADAPTATION)
    named = [n for n in DATASETS if source == n or source.startswith(f"{n}-")]
    if not named and adapted:
        return "drop"
    if not named:
        raise ConfigError(f"no metric for example source {source!r}: no registered dataset "
                          f"({', '.join(sorted(DATASETS))}) names it")
    dataset = max(named, key=len)
    metric = DATASETS[dataset].metric_for(source)
    if metric not in METRICS and adapted:
        return "drop"
    if metric not in METRICS:
        raise ConfigError(f"no metric for example source {source!r}: dataset {dataset!r} gives {metric!r}, "
                          f"not one of {', '.join(METRICS)}")
    return metric


def score(prediction: str | tuple[str, ...], example: Example) -> tuple[float, float]:
    """(EM, F1) in [0, 1]: the best over the example's gold alternatives, each metric maximised separately.

    A string is one span to the DROP metric (a generated "a, b" stays one span); a tuple of spans (a set
    answered by the symbolic executor) is scored span by span, as DROP scores multi-span answers.
    """
    golds = example.gold_texts()
    if metric_for(example.source) == "drop":
        return drop_em_f1_max(list(prediction) if isinstance(prediction, tuple) else prediction, golds)
    if isinstance(prediction, tuple):
        prediction = ", ".join(prediction)
    scores = [hotpot_em_f1(prediction, ", ".join(gold)) for gold in golds]
    return max((em for em, _ in scores), default=0.0), max((f1 for _, f1 in scores), default=0.0)


def score_prediction(prediction: Prediction, example: Example) -> tuple[float, float]:
    """(EM, F1) of a strategy's prediction: its spans where it has several, else its answer string."""
    spans = prediction.answer_spans()
    return score(spans if len(spans) > 1 else prediction.answer, example)


def prediction_record(example: Example, prediction: Prediction) -> dict:
    """What a predictions file holds per example."""
    em, f1 = score_prediction(prediction, example)
    return {"example_id": example.id, "source": example.source, "question": example.question,
            "prediction": prediction.answer, "trace": prediction.trace,
            "gold": [list(g) for g in example.gold_texts()], "em": em, "f1": f1}
