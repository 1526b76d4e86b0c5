"""The `evaluate` metric modules load offline from the package and score like decomp.metrics."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from decomp.metrics import evaluate_module_path, mean_em_f1
from decomp.metrics.streaming import QAMetric

evaluate = pytest.importorskip("evaluate")


def test_loads_and_scores_with_the_network_unreachable_and_offline_flags_off(monkeypatch):
    # Not the suite's offline flags (conftest sets them): the flags off and every connection refused.
    from huggingface_hub import constants

    monkeypatch.setattr(evaluate.config, "HF_EVALUATE_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    drop = evaluate.load(evaluate_module_path("drop"))
    hotpot = evaluate.load(evaluate_module_path("hotpotqa"))
    assert drop.compute(predictions=["78"], references=[["78.0"]]) == {"em": 100.0, "f1": 100.0}
    assert hotpot.compute(predictions=["the cat"], references=["cat"]) == {"em": 100.0, "f1": 100.0}
    assert attempts == []


def test_module_paths_are_package_folders():
    for name in ("drop", "hotpotqa"):
        folder = Path(evaluate_module_path(name))
        assert (folder / f"{name}.py").is_file() and (folder / "__init__.py").is_file()
    with pytest.raises(ValueError, match="unknown evaluate module"):
        evaluate_module_path("squad")


def test_drop_module_matches_streaming_metric():
    predictions = [["78"], ["td"], ["23", "23 yard"], ["17 August"], ["nothing"]]
    references = [[["78.0"]], [["td", "td"]], [["23-yard", "56 yards"]], [["17 August"], ["August"]], [["x"]]]
    streaming = QAMetric("drop")
    streaming.update(predictions, references)
    drop = evaluate.load(evaluate_module_path("drop"))
    scores = drop.compute(predictions=predictions, references=references)
    assert scores == {k: float(v) for k, v in streaming.compute().items()} == {"em": 40.0, "f1": 60.0}


@pytest.mark.parametrize(("predictions", "references"), [
    (["78", "td"], [["78.0", "x"], ["td"]]),  # strings everywhere
    (["78", "td"], [[["78.0"], ["x"]], [["td", "td"]]]),  # string predictions, multi-span golds
    ([["78"], ["td"]], [["78.0"], ["td and"]]),  # span-list predictions, string golds
])
def test_drop_module_takes_strings_or_span_lists(predictions, references):
    drop = evaluate.load(evaluate_module_path("drop"))
    assert drop.compute(predictions=predictions, references=references) == mean_em_f1(predictions, references)


def test_hotpotqa_module_matches_plain_functions():
    predictions, references = ["cat cat", "Yes.", "yes"], ["cat", "yes", "yes it is"]
    scores = evaluate.load(evaluate_module_path("hotpotqa")).compute(predictions=predictions,
                                                                     references=references)
    assert scores == mean_em_f1(predictions, references, "hotpot")
    assert scores == pytest.approx({"em": 100 / 3, "f1": (2 / 3 + 1) / 3 * 100})
