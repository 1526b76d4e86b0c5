"""How long one training of a curve runs, and why it stopped (the row's `budget`).

Every fit, a tuning trial or the final one, runs between a floor (`budget.min_steps`) and a cap: the
searched `epochs` when the space has it (a floor the searched value can exceed, never override), cut at
`budget.max_steps`. With a converged budget (`budget.patience`), a validation round (every `val_every`
steps, default once per epoch) on the split carved from the training subset scores the tuning metric;
after `patience` rounds without improvement, once past the floor, training stops and the best validated
weights (kept in memory) are restored. A fixed budget (no patience) trains to the cap and keeps the last
weights. The final retrain after tuning stops by the same rule on the same carved split (seeded by the
subset seed), so every number in a row comes from a model trained and stopped the way the trials were.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

from lightning.pytorch import Callback, Trainer

from decomp.curves.config import Budget


def step_budget(budget: Budget, epochs: int | None, steps_per_epoch: int) -> tuple[int, str]:
    """(cap on optimizer steps, the stop reason if training runs to it): `epochs` epochs, lifted to
    min_steps and cut at max_steps; max_steps alone when `epochs` is not given."""
    if epochs is None:
        return budget.max_steps, "max_steps"
    wanted = epochs * steps_per_epoch
    steps = max(wanted, budget.min_steps, 1)
    if steps >= budget.max_steps:
        return budget.max_steps, "max_steps"
    return steps, "max_epochs" if wanted >= budget.min_steps else "min_steps"


class Validation(Callback):
    """Records each validation round; with `patience`, stops after that many rounds without an improvement
    of more than `min_delta` (never before `min_steps`) and keeps the best weights to `restore`."""

    def __init__(self, metric: str, patience: int | None, min_steps: int, keep_best: bool,
                 echo: bool = False, min_delta: float = 0.0) -> None:
        self.metric, self.patience, self.min_steps, self.keep_best = metric, patience, min_steps, keep_best
        self.echo, self.min_delta = echo, min_delta
        self.history: list[tuple[int, float]] = []
        self.best: float = -math.inf
        self.best_step: int | None = None
        self.best_state: dict | None = None
        self.bad_rounds = 0
        self.stopped_early = False

    def on_validation_end(self, trainer: Trainer, module) -> None:
        if trainer.sanity_checking or self.metric not in trainer.callback_metrics:
            return
        step = trainer.global_step
        if self.history and self.history[-1][0] == step:
            return  # validated again at the same step (the closing validation)
        value = float(trainer.callback_metrics[self.metric])
        self.history.append((step, value))
        if value > self.best + self.min_delta:
            self.best, self.best_step, self.bad_rounds = value, step, 0
            if self.keep_best:
                self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
        else:
            self.bad_rounds += 1
            if self.patience and self.bad_rounds >= self.patience and step >= self.min_steps:
                trainer.should_stop, self.stopped_early = True, True
        if self.echo:  # hours-long CPU fits: a line per round shows that training moves
            print(f"  validation at step {step}: {self.metric} {value:.2f} (best {self.best:.2f})",
                  file=sys.stderr, flush=True)

    @property
    def last(self) -> float | None:
        return self.history[-1][1] if self.history else None

    def restore(self, module) -> None:
        if self.best_state is not None:
            module.load_state_dict(self.best_state)


def fit(budget: Budget, metric: str, make_trainer: Callable[..., Trainer], reader, loader, val_loader,
        epochs: int | None, callbacks: tuple = (), echo: bool = False) -> tuple[dict, Validation | None]:
    """Train `reader` on `loader` under `budget` (validating on `val_loader`, if any); the row's budget
    record (with every validation round as [step, value], the evidence that the fit converged) and the
    validation tracker (None without validation). `echo` prints each round to stderr."""
    cap, reason = step_budget(budget, epochs, len(loader))
    validation = None
    if val_loader:
        validation = Validation(metric, budget.patience, budget.min_steps, keep_best=bool(budget.patience),
                                echo=echo, min_delta=budget.min_delta)
        every = min(budget.val_every or len(loader), cap)
        trainer = make_trainer(cap, [validation, *callbacks], val_every=every)
        trainer.fit(reader, loader, val_loader)
        if not validation.history or validation.history[-1][0] != trainer.global_step:
            trainer.validate(reader, val_loader, verbose=False)  # the closing round: the weights as trained
        validation.restore(reader)
    else:
        trainer = make_trainer(cap, list(callbacks))
        trainer.fit(reader, loader)
    record = {"kind": budget.kind, "min_steps": budget.min_steps, "max_steps": budget.max_steps, "cap": cap,
              "steps_trained": trainer.global_step, "patience": budget.patience,
              "min_delta": budget.min_delta,
              "stop_reason": "early_stop" if validation and validation.stopped_early else reason,
              "best_step": validation.best_step if validation and budget.patience else None,
              "val_rounds": len(validation.history) if validation else 0,
              "val_history": [[step, round(value, 4)] for step, value in validation.history] if validation else []}
    return record, validation
