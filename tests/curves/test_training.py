"""Tuning that tunes and training that converges: every searched parameter changes what trains; early
stopping stops on the carved validation split, never before the floor, and restores the best weights."""

from __future__ import annotations

import math

import pytest
import torch

from decomp.curves.config import parse_config
from decomp.curves.runner import _trainer, train_cell
from decomp.curves.training import Validation
from tests.curves.conftest import tiny_config

BASE = {"lr": 1e-3, "batch_size": 4, "epochs": 1, "weight_decay": 0.0, "warmup_ratio": 0.0}


def _train(params: dict, budget: dict, validation: bool = False):
    config = parse_config(tiny_config(budget=budget))
    cell = config.cells()[1]  # k=10
    return train_cell(config, cell, {**BASE, **params}, seed=0, validation=validation)


def _weights(reader) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in reader.model.parameters()])


@pytest.mark.slow
@pytest.mark.parametrize(("name", "low", "high"), [
    ("lr", 1e-4, 1e-2), ("batch_size", 2, 8), ("weight_decay", 0.0, 0.5), ("warmup_ratio", 0.0, 0.9),
])
def test_each_searched_parameter_changes_the_trained_weights(name, low, high):
    budget = {"min_steps": 3, "max_steps": 3, "patience": None}
    _, first, record_a, _ = _train({name: low}, budget)
    _, second, record_b, _ = _train({name: high}, budget)
    assert record_a["steps_trained"] == record_b["steps_trained"] == 3
    assert not torch.allclose(_weights(first), _weights(second))


@pytest.mark.slow
def test_searched_epochs_change_the_steps_above_the_floor():
    budget = {"min_steps": 1, "max_steps": 50, "patience": None}
    _, _, one, _ = _train({"epochs": 1, "batch_size": 4}, budget)
    _, _, three, _ = _train({"epochs": 3, "batch_size": 4}, budget)
    per_epoch = one["steps_trained"]  # 10 questions' training inputs in batches of 4
    assert per_epoch >= 1 and three["steps_trained"] == 3 * per_epoch
    assert one["stop_reason"] == three["stop_reason"] == "max_epochs" and one["kind"] == "fixed"


def test_validation_stops_after_patience_rounds_past_the_floor_and_keeps_the_best():
    class FakeTrainer:
        sanity_checking, should_stop, global_step = False, False, 0
        callback_metrics: dict = {}

    module = torch.nn.Linear(1, 1)
    tracker = Validation("val_f1", patience=2, min_steps=4, keep_best=True)
    trainer = FakeTrainer()
    for step, value in [(1, 10.0), (2, 30.0), (3, 20.0), (4, 25.0), (5, 29.0)]:
        trainer.global_step, trainer.callback_metrics = step, {"val_f1": torch.tensor(value)}
        with torch.no_grad():
            module.weight.fill_(value)
        tracker.on_validation_end(trainer, module)
        assert trainer.should_stop == (step >= 4)  # 2 rounds without gain, at or past min_steps
        trainer.should_stop = False
    assert tracker.best == 30.0 and tracker.best_step == 2 and tracker.stopped_early
    tracker.restore(module)
    assert module.weight.item() == 30.0


def test_gains_within_min_delta_count_against_patience():
    class FakeTrainer:
        sanity_checking, should_stop, global_step = False, False, 0
        callback_metrics: dict = {}

    module, trainer = torch.nn.Linear(1, 1), FakeTrainer()
    tracker = Validation("val_f1", patience=2, min_steps=0, keep_best=True, min_delta=1.0)
    stopped = []
    for step, value in [(1, 40.0), (2, 40.5), (3, 41.5), (4, 42.0), (5, 41.0)]:
        trainer.global_step, trainer.callback_metrics = step, {"val_f1": torch.tensor(value)}
        with torch.no_grad():
            module.weight.fill_(value)
        tracker.on_validation_end(trainer, module)
        stopped.append(trainer.should_stop)
    # 40.5 is no gain over 40 (within 1.0); 41.5 is; 42.0 and 41.0 are not: two rounds without gain
    assert stopped == [False, False, False, False, True]
    assert (tracker.best, tracker.best_step) == (41.5, 3)
    tracker.restore(module)
    assert module.weight.item() == 41.5
    plain = Validation("val_f1", patience=2, min_steps=0, keep_best=False)
    for step, value in [(1, 40.0), (2, 40.5), (3, 40.6)]:
        trainer.global_step, trainer.callback_metrics = step, {"val_f1": torch.tensor(value)}
        plain.on_validation_end(trainer, module)
    assert plain.best_step == 3 and plain.bad_rounds == 0  # without min_delta any gain counts


def test_min_delta_is_checked_and_recorded_in_the_row_contract():
    from decomp.curves.rows import check_row
    from decomp.errors import ConfigError, DataError
    from tests.curves.test_rows import row

    assert parse_config(tiny_config(budget={"max_steps": 20, "min_delta": 0.5})).budget.min_delta == 0.5
    assert parse_config(tiny_config()).budget.min_delta == 0.0
    with pytest.raises(ConfigError, match="budget.min_delta"):
        parse_config(tiny_config(budget={"max_steps": 20, "min_delta": -1}))
    budget = {"kind": "converged", "patience": 3, "min_delta": 0.5, "stop_reason": "early_stop"}
    check_row(row("a", budget=budget))
    with pytest.raises(DataError, match="min_delta"):
        check_row(row("b", budget={**budget, "min_delta": -0.5}))


def test_validation_never_stops_before_the_floor():
    class FakeTrainer:
        sanity_checking, should_stop, global_step = False, False, 0
        callback_metrics: dict = {}

    tracker, trainer = Validation("val_f1", patience=1, min_steps=10, keep_best=False), FakeTrainer()
    for step in range(1, 6):
        trainer.global_step, trainer.callback_metrics = step, {"val_f1": torch.tensor(5.0)}
        tracker.on_validation_end(trainer, torch.nn.Linear(1, 1))
    assert not trainer.should_stop and tracker.best_state is None


@pytest.mark.slow
def test_a_converged_fit_stops_early_and_restores_its_best_validated_weights():
    budget = {"min_steps": 2, "max_steps": 40, "patience": 1, "val_every": 1}
    dm, reader, record, tracker = _train({"lr": 5e-3}, budget, validation=True)
    assert record["kind"] == "converged" and record["stop_reason"] == "early_stop"
    assert 2 <= record["steps_trained"] < 40 and record["best_step"] == tracker.best_step
    assert record["val_rounds"] == len(tracker.history) >= 2
    assert record["val_history"] == [[step, round(value, 4)] for step, value in tracker.history]
    assert max(v for _, v in record["val_history"]) == pytest.approx(tracker.best, abs=1e-4)
    again = _trainer(parse_config(tiny_config()), -1, [])
    again.validate(reader, dm.val_dataloader(), verbose=False)
    assert math.isclose(float(again.callback_metrics["val_f1"]), tracker.best)  # the weights kept are the best
