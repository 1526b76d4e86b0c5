"""Run a `decomp` command with Lightning's fit and test timed: `python benchmarks/curve_probe.py OUT.json curve ...`.

Run as a script (not `-m`), so that the `decomp` it imports is whichever checkout PYTHONPATH and the working
folder name: `benchmarks/curve_time.py --compare-old` times the landed code and the working tree alike. It adds
up, over every `Trainer.fit` and `Trainer.test` of the process, the wall seconds and the windows (model
inputs) trained on or evaluated, and writes them to OUT.json when the command ends. Only in-process work is
seen: run curves with one worker.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from lightning.pytorch import Callback, Trainer

STATS = {"fits": 0, "fit_s": 0.0, "train_windows": 0, "train_steps": 0,
         "tests": 0, "test_s": 0.0, "test_windows": 0, "test_questions": 0}


def _clock() -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter()


class _CountTraining(Callback):
    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        STATS["train_steps"] += 1
        STATS["train_windows"] += len(batch["input_ids"])


@contextmanager
def _timed(count: str, seconds: str) -> Iterator[None]:
    """Count one call under `count` and add its wall seconds to `seconds`, even when it raises."""
    started = _clock()
    try:
        yield
    finally:
        STATS[count] += 1
        STATS[seconds] += _clock() - started


def _timed_fit(fit):
    def run(self: Trainer, model, *args, **kwargs):
        self.callbacks.append(_CountTraining())
        with _timed("fits", "fit_s"):
            return fit(self, model, *args, **kwargs)
    return run


def _timed_test(test):
    def run(self: Trainer, model=None, *args, **kwargs):
        featurize = model.featurize

        def counted(inputs, train, *a, **k):
            features = featurize(inputs, train, *a, **k)
            if not train:
                STATS["test_windows"] += len(features)
            return features
        model.featurize = counted  # the instance attribute shadows the method for this test only
        try:
            with _timed("tests", "test_s"):
                return test(self, model, *args, **kwargs)
        finally:
            STATS["test_questions"] += len(getattr(model, "predictions", {}).get("test", ()))
            del model.featurize
    return run


def main() -> int:
    out, words = Path(sys.argv[1]), sys.argv[2:]
    Trainer.fit = _timed_fit(Trainer.fit)
    Trainer.test = _timed_test(Trainer.test)
    from decomp.cli import main as decomp_main

    try:
        return decomp_main(words)
    finally:
        out.write_text(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in STATS.items()}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
