"""A tiny curve: the random tiny-bert reader, a small synthetic set, a few optimizer steps per fit."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

TINY = {
    "name": "tiny",
    "dataset": "synthetic",
    "data": {"synthetic": {"n": 60, "seed": 0}, "eval_limit": 6},
    "readers": {"extractive": {"model": "tiny-bert", "max_length": 64, "doc_stride": 16, "eval_batch_size": 64}},
    "strategies": ["none"],
    "sizes": [6, 10],
    "training_seeds": [0, 1],
    "tuning": {"n_trials": 2, "heartbeat_interval": 1, "grace_period": 2,
               "space": {"lr": {"low": 1.0e-4, "high": 1.0e-3, "log": True}, "batch_size": [4, 8], "epochs": 1}},
    "budget": {"min_steps": 2, "max_steps": 3, "patience": None, "val_every": 2},
}


def tiny_config(**overrides) -> dict:
    raw = copy.deepcopy(TINY)
    for key, value in overrides.items():
        raw[key] = value
    return raw


@pytest.fixture
def write_config(tmp_path: Path):
    def write(**overrides) -> Path:
        path = tmp_path / "curve.yaml"
        path.write_text(yaml.safe_dump(tiny_config(**overrides)))
        return path
    return write
