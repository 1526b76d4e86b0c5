"""The learning-curve YAML: which cells to run, the tuning space, the step floor; validated up front.

Every error names the offending field (`tuning.space.lr: ...`) and the file, before any training starts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from decomp.data.protocols import PROTOCOLS, parse_size
from decomp.errors import ConfigError

READERS = {"extractive": "decomp.readers.ExtractiveReader", "generative": "decomp.readers.GenerativeReader"}
TUNABLE = ("lr", "batch_size", "epochs", "weight_decay", "warmup_ratio")
REQUIRED_SPACE = ("lr", "batch_size", "epochs")
METRICS = ("val_em", "val_f1")
# DecompDataModule options a cell sets itself: a curve config must not set them under `data`.
CELL_OWNED = ("k", "fold", "subset_seed", "batch_size", "val_fraction")
DEFAULT_PRUNER = {"n_startup_trials": 3, "n_warmup_steps": 0}  # optuna.pruners.MedianPruner arguments


@dataclass(frozen=True)
class Strategy:
    name: str
    options: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.name}[{extra}]" if extra else self.name


@dataclass(frozen=True)
class Cell:
    """One point of a curve: tuned once, then retrained with each training seed."""

    reader: str
    strategy: Strategy
    k: int | str
    fold: int
    subset_seed: int

    @property
    def key(self) -> str:
        return f"{self.reader}/{self.strategy.label}/k={self.k}/fold={self.fold}/subset={self.subset_seed}"


@dataclass(frozen=True)
class CurveConfig:
    name: str
    dataset: str
    data: dict
    readers: dict[str, dict]
    strategies: list[Strategy]
    sizes: list[int | str]
    folds: list[int]
    subset_seeds: list[int]
    training_seeds: list[int]
    space: dict[str, Any]
    n_trials: int = 8  # 0: no tuning; every space entry is a fixed value (cheap CPU curves)
    sampler_seed: int = 0
    metric: str = "val_f1"
    val_fraction: float = 0.2
    reports: int = 4
    pruner: dict = field(default_factory=lambda: dict(DEFAULT_PRUNER))
    min_epochs: int = 10
    min_steps: int = 200
    max_steps: int | None = None
    heartbeat_interval: int = 60
    grace_period: int = 120
    max_retry: int = 2
    trainer: dict = field(default_factory=dict)
    run_dir: str = "runs/curves"
    raw: dict = field(default_factory=dict, repr=False)

    def cells(self) -> list[Cell]:
        """Seed-major order: a curve stopped early holds every strategy and size for its first seeds,
        which the leaderboard can already compare."""
        return [Cell(r, s, k, f, ss) for ss, f, r, k, s in itertools.product(
            self.subset_seeds, self.folds, self.readers, self.sizes, self.strategies)]


def _fail(where: str, message: str, source: str) -> ConfigError:
    return ConfigError(f"curve config {source}: field '{where}': {message}")


def _int_list(raw: dict, key: str, source: str, default: list[int] | None = None, minimum: int = 0) -> list[int]:
    value = raw.get(key, default)
    if value is None:
        raise _fail(key, "is required (a list of integers)", source)
    value = value if isinstance(value, list) else [value]
    if not value or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in value):
        raise _fail(key, f"must be a non-empty list of integers >= {minimum}, got {value!r}", source)
    return value


def _space(raw: Any, source: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail("tuning.space", "must be a mapping of hyper-parameter -> value, list or {low, high}", source)
    for name, spec in raw.items():
        where = f"tuning.space.{name}"
        if name not in TUNABLE:
            raise _fail(where, f"unknown hyper-parameter; tunable: {', '.join(TUNABLE)}", source)
        if isinstance(spec, dict):
            if set(spec) - {"low", "high", "log", "step"} or not {"low", "high"} <= set(spec):
                raise _fail(where, f"a range needs low and high (and optionally log, step), got {spec!r}", source)
            try:
                low, high = float(spec["low"]), float(spec["high"])
            except (TypeError, ValueError):
                raise _fail(where, f"low/high must be numbers, got {spec!r}", source) from None
            if not low <= high or (spec.get("log") and low <= 0):
                raise _fail(where, f"needs 0 < low <= high for a log range, low <= high otherwise: {spec!r}",
                            source)
        elif isinstance(spec, list) and not spec:
            raise _fail(where, "an empty list of choices", source)
    missing = [p for p in REQUIRED_SPACE if p not in raw]
    if missing:
        raise _fail("tuning.space", f"missing {', '.join(missing)} (give a fixed value to not tune one)", source)
    return dict(raw)


def _strategies(raw: Any, source: str) -> list[Strategy]:
    from decomp.strategies import REGISTRY, get_strategy

    if not isinstance(raw, list) or not raw:
        raise _fail("strategies", "must be a non-empty list of names or {name, options}", source)
    out = []
    for i, item in enumerate(raw):
        name, options = (item, {}) if isinstance(item, str) else (
            (item.get("name"), item.get("options") or {}) if isinstance(item, dict) else (None, {}))
        if name not in REGISTRY:
            raise _fail(f"strategies[{i}]", f"unknown strategy {name!r}; known: {', '.join(sorted(REGISTRY))}",
                        source)
        try:
            get_strategy(name, **options)
        except (ConfigError, TypeError) as exc:
            raise _fail(f"strategies[{i}].options", str(exc), source) from None
        out.append(Strategy(name, dict(options)))
    return out


def parse_config(raw: Any, source: str = "<dict>") -> CurveConfig:
    """Validate a parsed curve YAML (see configs/curves/synthetic.yaml for every field)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"curve config {source}: expected a mapping at the top level")
    known = {"name", "dataset", "data", "readers", "strategies", "sizes", "folds", "subset_seeds",
             "training_seeds", "tuning", "budget", "trainer", "run_dir"}
    for key in raw:
        if key not in known:
            raise _fail(key, f"unknown field; known: {', '.join(sorted(known))}", source)
    for key in ("name", "dataset"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(key, "is required (a string)", source)
    data = dict(raw.get("data") or {})
    for key in CELL_OWNED:
        if key in data:
            raise _fail(f"data.{key}", "is set per cell (sizes, folds, subset_seeds, tuning space/val_fraction)",
                        source)
    protocol = data.get("protocol", "gold")
    if protocol not in PROTOCOLS:
        raise _fail("data.protocol", f"must be one of {list(PROTOCOLS)}, got {protocol!r}", source)
    readers = raw.get("readers")
    if not isinstance(readers, dict) or not readers:
        raise _fail("readers", f"must map reader kinds ({', '.join(READERS)}) to their init args", source)
    for kind, args in readers.items():
        if kind not in READERS:
            raise _fail(f"readers.{kind}", f"unknown reader; known: {', '.join(READERS)}", source)
        if not isinstance(args or {}, dict) or {"strategy", "lr", "seed"} & set(args or {}):
            raise _fail(f"readers.{kind}", "must be a mapping of init args without strategy/lr/seed "
                        "(those are set per cell)", source)
    sizes = raw.get("sizes")
    if not isinstance(sizes, list) or not sizes:
        raise _fail("sizes", "must be a non-empty list of training sizes (integers or 'all')", source)
    try:
        sizes = [parse_size(k) for k in sizes]
    except ConfigError as exc:
        raise _fail("sizes", str(exc), source) from None
    tuning = dict(raw.get("tuning") or {})
    budget = dict(raw.get("budget") or {})
    for section, allowed in (("tuning", {"n_trials", "sampler_seed", "metric", "val_fraction", "reports",
                                         "pruner", "space", "heartbeat_interval", "grace_period", "max_retry"}),
                             ("budget", {"min_epochs", "min_steps", "max_steps"})):
        for key in (tuning if section == "tuning" else budget):
            if key not in allowed:
                raise _fail(f"{section}.{key}", f"unknown field; known: {', '.join(sorted(allowed))}", source)
    metric = tuning.get("metric", "val_f1")
    if metric not in METRICS:
        raise _fail("tuning.metric", f"must be one of {METRICS}, got {metric!r}", source)
    val_fraction = tuning.get("val_fraction", 0.2)
    if not isinstance(val_fraction, int | float) or not 0 < val_fraction < 1:
        raise _fail("tuning.val_fraction", f"must be in (0, 1), got {val_fraction!r}", source)
    positive = {"tuning.n_trials": tuning.get("n_trials", 8), "tuning.reports": tuning.get("reports", 4),
                "tuning.heartbeat_interval": tuning.get("heartbeat_interval", 60),
                "budget.min_steps": budget.get("min_steps", 200), "budget.min_epochs": budget.get("min_epochs", 10)}
    if budget.get("max_steps") is not None:
        positive["budget.max_steps"] = budget["max_steps"]
    for where, value in positive.items():
        floor = 0 if "min_" in where or where == "tuning.n_trials" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < floor:
            raise _fail(where, f"must be an integer >= {floor}, got {value!r}", source)
    space = _space(tuning.get("space"), source)
    searched = [name for name, spec in space.items() if isinstance(spec, list | dict)]
    if positive["tuning.n_trials"] == 0 and searched:
        raise _fail("tuning.n_trials", f"0 means fixed hyper-parameters, but the space searches {searched}: "
                    "give each a single value", source)
    return CurveConfig(
        name=raw["name"], dataset=raw["dataset"], data=data, readers={k: dict(v or {}) for k, v in readers.items()},
        strategies=_strategies(raw.get("strategies"), source), sizes=sizes,
        folds=_int_list(raw, "folds", source, [0]) if protocol == "gold" else [0],
        subset_seeds=_int_list(raw, "subset_seeds", source, [0]),
        training_seeds=_int_list(raw, "training_seeds", source, [0]),
        space=space, n_trials=positive["tuning.n_trials"],
        sampler_seed=int(tuning.get("sampler_seed", 0)), metric=metric, val_fraction=float(val_fraction),
        reports=positive["tuning.reports"], pruner=dict(tuning.get("pruner") or DEFAULT_PRUNER),
        min_epochs=positive["budget.min_epochs"], min_steps=positive["budget.min_steps"],
        max_steps=budget.get("max_steps"), heartbeat_interval=positive["tuning.heartbeat_interval"],
        grace_period=int(tuning.get("grace_period", 2 * positive["tuning.heartbeat_interval"])),
        max_retry=int(tuning.get("max_retry", 2)), trainer=dict(raw.get("trainer") or {}),
        run_dir=str(raw.get("run_dir") or Path("runs/curves") / raw["name"]), raw=raw)


def load_config(path: str | Path) -> CurveConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read curve config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"curve config {path} is not valid YAML: {exc}") from None
    return parse_config(raw, str(path))
