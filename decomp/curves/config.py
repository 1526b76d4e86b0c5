"""The learning-curve YAML as typed sections, validated up front (configs/curves/synthetic.yaml shows every field).

Each section is a dataclass (or, for `data` and `readers.<kind>`, the signature of the class it configures:
`DecompDataModule`, the reader class from `decomp.readers.REGISTRY`), checked by jsonargparse as `decomp fit`'s
LightningCLI checks the same classes, so both commands share one schema for reader and data arguments. Those
signatures are read from the classes' source (`decomp.curves.signatures`), so a config is checked without
importing torch. Unknown keys fail with the nearest valid name; every error
names the file and the key's path (`readers.extractive.doc_strid`), before anything is written. `decomp fit` checks
its reader, strategy and data arguments with the same `check_*` functions (`decomp.curves.fit_spec`).
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from decomp.curves import signatures
from decomp.data.protocols import PROTOCOLS, parse_size
from decomp.errors import ConfigError
from decomp.io import read_given
from decomp.readers import REGISTRY as READERS
from decomp.strategies import REGISTRY as STRATEGIES
from decomp.strategies import check_decompositions, get_strategy

TUNABLE = ("lr", "batch_size", "epochs", "weight_decay", "warmup_ratio")
INT_PARAMS = ("batch_size", "epochs")
REQUIRED_SPACE = ("lr", "batch_size")
# DecompDataModule options a cell sets itself: a curve config must not set them under `data`.
CELL_OWNED = ("dataset", "k", "fold", "subset_seed", "batch_size", "val_fraction")
# Reader arguments a cell sets itself (tuning, training_seeds, strategies).
READER_OWNED = ("strategy", "strategy_options", "seed", "lr", "weight_decay", "warmup_ratio")


def reader_class(kind: str) -> type:
    """The reader class of a kind, from `decomp.readers.REGISTRY` (the classes `decomp fit` configures)."""
    return READERS[kind]


def _data_class() -> type:
    """`DecompDataModule` itself, for when its source does not state its signature (imports torch)."""
    from decomp.data.module import DecompDataModule

    return DecompDataModule


# --- the typed sections --------------------------------------------------------------------------------
@dataclass
class Tuning:
    """Per-cell hyper-parameter search on a validation split carved from the cell's training subset.

    search: `tpe` or `random`; unset: `tpe` when n_trials exceeds startup_trials (TPE's random startup
        trials), else `random` (all trials would be random startup trials anyway). n_trials 0: `fixed`.
    space: hyper-parameter -> a fixed value, a list of choices, or {low, high, log, step}.
    """

    space: dict
    n_trials: int = 8
    search: Literal["tpe", "random"] | None = None
    startup_trials: int = 4
    sampler_seed: int = 0
    metric: Literal["val_em", "val_f1"] = "val_f1"
    val_fraction: float = 0.2
    pruner: dict | None = None  # optuna.pruners.MedianPruner arguments
    heartbeat_interval: int = 60
    grace_period: int | None = None  # default: 2 x heartbeat_interval
    max_retry: int = 2


@dataclass
class Budget:
    """How long each training runs (trials and the final fit alike).

    With `patience` (validation rounds without improvement of the tuning metric) training stops early on
    the validation split carved from the training subset, never before min_steps nor after max_steps (or
    the searched `epochs`, when the space has it), and the best validated weights are restored: a
    "converged" budget. patience null: train to the cap, a "fixed" budget (min_steps == max_steps fixes
    the steps at every size). val_every: steps between validation rounds (null: once per epoch). min_delta: the
    gain in the tuning metric (its own scale, e.g. F1 points) a round must exceed to count as an improvement, as
    in Lightning's EarlyStopping; below it a round counts against patience, so noise-sized gains on a small
    validation split do not keep a converged fit training. min_val_questions: a final fit whose carved
    validation split would hold fewer questions trains on the whole subset under the rule instead (the step
    cap: the space's `epochs`, lifted to min_steps, cut at max_steps), because a split of 3 to 13 questions
    chooses nothing (the rows say which rule stopped each fit). rule_epochs: the rule's epochs for the fits the rule
    decides only, in place of the space's `epochs`: without `epochs` in the space a fit that can stop early runs
    up to max_steps; with it, that cap holds for every other fit (a fold whose few-shot rule was chosen apart
    keeps the large-size budget of the other folds).
    """

    max_steps: int
    min_steps: int = 0
    patience: int | None = 3
    val_every: int | None = None
    min_delta: float = 0.0
    min_val_questions: int = 0
    rule_epochs: int | None = None

    @property
    def kind(self) -> str:
        return "converged" if self.patience else "fixed"


@dataclass
class Range:
    low: float
    high: float
    log: bool = False
    step: float | None = None


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

    @classmethod
    def from_dict(cls, raw: dict) -> Cell:
        """The cell a run spec's `cell` mapping holds (KeyError / TypeError when it is not one)."""
        strategy = Strategy(raw["strategy"]["name"], dict(raw["strategy"]["options"] or {}))
        return cls(raw["reader"], strategy, raw["k"], raw["fold"], raw["subset_seed"])


@dataclass
class _File:
    """The top level of a curve YAML (its sections are checked separately, by path)."""

    name: str
    dataset: str
    readers: dict
    strategies: list
    sizes: list
    tuning: dict
    budget: dict
    data: dict | None = None
    folds: list[int] = field(default_factory=lambda: [0])
    subset_seeds: list[int] = field(default_factory=lambda: [0])
    training_seeds: list[int] = field(default_factory=lambda: [0])
    trainer: dict | None = None
    run_dir: str | None = None


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
    tuning: Tuning
    budget: Budget
    trainer: dict = field(default_factory=dict)
    run_dir: str = "runs/curves"
    raw: dict = field(default_factory=dict, repr=False)

    # Shortcuts the runner and the study module read.
    n_trials = property(lambda self: self.tuning.n_trials)
    sampler_seed = property(lambda self: self.tuning.sampler_seed)
    metric = property(lambda self: self.tuning.metric)
    val_fraction = property(lambda self: self.tuning.val_fraction)
    pruner = property(lambda self: self.tuning.pruner)
    heartbeat_interval = property(lambda self: self.tuning.heartbeat_interval)
    grace_period = property(lambda self: self.tuning.grace_period)
    max_retry = property(lambda self: self.tuning.max_retry)
    startup_trials = property(lambda self: self.tuning.startup_trials)

    @property
    def search(self) -> str:
        """`fixed` (no tuning), `tpe` or `random` (see `Tuning`)."""
        if not self.tuning.n_trials:
            return "fixed"
        return self.tuning.search or ("tpe" if self.tuning.n_trials > self.tuning.startup_trials else "random")

    def cells(self) -> list[Cell]:
        """Seed-major order: a curve stopped early holds every strategy and size for its first seeds,
        which the leaderboard can already compare."""
        return [Cell(r, s, k, f, ss) for ss, f, r, k, s in itertools.product(
            self.subset_seeds, self.folds, self.readers, self.sizes, self.strategies)]


# --- checking ----------------------------------------------------------------------------------------
def did_you_mean(name: object, choices) -> str:
    """"did you mean 'x'? " for the nearest valid name, or "" when none is close."""
    near = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{near[0]}'? " if near else ""


class Checker:
    """Checks the sections of one file, each error naming it (`what` and `source`) and the key's path."""

    def __init__(self, source: str, what: str = "curve config") -> None:
        self.source, self.what = source, what

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.what} {self.source}: field '{where}': {message}")

    def mapping(self, raw: object, where: str) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected a mapping, got {raw!r}")
        return raw

    def section(self, target: type, raw: object, where: str, skip: tuple[str, ...] = (),
                owned_hint: str = "") -> dict:
        """Check `raw` against the dataclass or class signature `target`; the validated values (defaults
        filled in). `skip`: arguments set elsewhere, which the section must not contain."""
        from jsonargparse import ArgumentError, ArgumentParser

        raw = self.mapping(raw, where or "<top level>")
        parser = ArgumentParser(exit_on_error=False)
        parser.add_class_arguments(target, skip=set(skip), fail_untyped=False)
        required = [f.name for f in fields(target) if f.default is MISSING and f.default_factory is MISSING
                    and f.name not in skip] if is_dataclass(target) else []
        known = sorted(parser.get_defaults().keys())
        path = f"{where}." if where else ""
        for key in raw:
            if key in skip:
                raise self.fail(path + str(key), f"is set per cell{owned_hint}; remove it here")
            if key not in known:
                raise self.fail(path + str(key), f"unknown key; {did_you_mean(key, known)}valid: {', '.join(known)}")
        for key in required:
            if key not in raw:
                raise self.fail(path + key, "is required")
        try:
            return parser.parse_object(raw).as_dict()
        except ArgumentError as exc:
            text = str(exc)
            match = re.search(r'(?:Parser key|Key) "([^"]+)"', text)
            key = match.group(1) if match else "?"
            detail = " ".join(line.strip() for line in text.splitlines()[1:]) or text
            detail = re.sub(r"<class .(\w+).>", r"\1", detail).replace("Expected a ", "expected ")
            raise self.fail(path + key, detail) from None

    def int_list(self, value: list, where: str, minimum: int = 0) -> list[int]:
        value = value if isinstance(value, list) else [value]
        if not value or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in value):
            raise self.fail(where, f"must be a non-empty list of integers >= {minimum}, got {value!r}")
        return value


def _space(check: Checker, raw: dict) -> dict[str, Any]:
    space = check.mapping(raw, "tuning.space")
    for name, spec in space.items():
        where = f"tuning.space.{name}"
        if name not in TUNABLE:
            raise check.fail(where, f"unknown hyper-parameter; {did_you_mean(name, TUNABLE)}"
                             f"tunable: {', '.join(TUNABLE)}")
        if isinstance(spec, dict):
            spec = check.section(Range, spec, where)
            if not spec["low"] <= spec["high"] or (spec["log"] and spec["low"] <= 0):
                raise check.fail(where, f"needs 0 < low <= high for a log range, low <= high otherwise: {spec!r}")
            space[name] = {k: v for k, v in spec.items() if v is not None and (k != "log" or v)}
        elif isinstance(spec, list) and not spec:
            raise check.fail(where, "an empty list of choices")
        elif not isinstance(spec, list | int | float) or isinstance(spec, bool):
            raise check.fail(where, f"expected a number, a list of choices or {{low, high}}, got {spec!r}")
    missing = [p for p in REQUIRED_SPACE if p not in space]
    if missing:
        raise check.fail("tuning.space", f"missing {', '.join(missing)} (give a fixed value to not tune one)")
    return space


def _strategies(check: Checker, raw: list) -> list[Strategy]:
    if not raw:
        raise check.fail("strategies", "must be a non-empty list of names or {name, options}")
    out = []
    for i, item in enumerate(raw):
        item = {"name": item} if isinstance(item, str) else item
        spec = check.section(Strategy, item, f"strategies[{i}]")
        out.append(check_strategy(check, spec["name"], spec["options"], f"strategies[{i}]", f"strategies[{i}].options"))
    return out


def check_strategy(check: Checker, name: object, options: dict | None, where: str, options_where: str) -> Strategy:
    """A registered strategy whose options its class accepts (`decomp curve` and `decomp fit` alike)."""
    if name not in STRATEGIES:
        raise check.fail(where, f"unknown strategy {name!r}; {did_you_mean(name, STRATEGIES)}"
                         f"known: {', '.join(sorted(STRATEGIES))}")
    options = dict(options or {})
    try:
        get_strategy(name, **options)
    except (ConfigError, TypeError) as exc:
        raise check.fail(options_where, str(exc)) from None
    return Strategy(name, options)


def check_strategy_meets_data(check: Checker, strategy: Strategy, data: dict, where: str) -> None:
    """The strategy and the data are configured apart: refuse a pair that cannot run."""
    try:
        check_decompositions(STRATEGIES[strategy.name], data.get("protocol", "gold"),
                             data.get("decompositions", "gold"))
    except ConfigError as exc:
        raise check.fail(where, str(exc)) from None


def _sizes(check: Checker, raw: list) -> list[int | str]:
    if not raw:
        raise check.fail("sizes", "must be a non-empty list of training sizes (integers, 0 for zero-shot, or 'all')")
    try:
        return [0 if k == 0 and not isinstance(k, bool) else parse_size(k) for k in raw]
    except ConfigError as exc:
        raise check.fail("sizes", str(exc)) from None


def reader_kinds() -> list[str]:
    """The registry's reader kinds, from source when it states them all (no import of the readers)."""
    return signatures.reader_kinds() or sorted(READERS)


def _readers(check: Checker, raw: dict) -> dict[str, dict]:
    known = reader_kinds()
    if not raw:
        raise check.fail("readers", f"must map reader kinds ({', '.join(known)}) to their init args")
    out = {}
    for kind, args in raw.items():
        if kind not in known:
            raise check.fail(f"readers.{kind}", f"unknown reader; {did_you_mean(kind, known)}known: {', '.join(known)}")
        out[kind] = check_reader_args(check, kind, args, f"readers.{kind}", skip=READER_OWNED,
                                      owned_hint=" (strategies, training_seeds, tuning.space)")
    return out


def check_reader_args(check: Checker, kind: str, raw: dict | None, where: str, skip: tuple[str, ...] = (),
                      owned_hint: str = "") -> dict:
    """A reader kind's init arguments as written, typed against the class's signature (read from its source, else
    from the class); `skip`: arguments set elsewhere, refused here."""
    typed = check.section(signatures.reader_arguments(kind) or reader_class(kind), raw, where, skip=skip,
                          owned_hint=owned_hint)
    return _as_written(raw, typed)


def check_data_args(check: Checker, raw: dict | None, where: str = "data", skip: tuple[str, ...] = (),
                    owned_hint: str = "") -> dict:
    """`DecompDataModule`'s init arguments as written, typed against its signature, with a known protocol."""
    data = _as_written(raw, check.section(signatures.data_arguments() or _data_class(), raw, where, skip=skip,
                                          owned_hint=owned_hint))
    protocol = data.get("protocol", "gold")
    if protocol not in PROTOCOLS:
        raise check.fail(f"{where}.protocol", f"must be one of {list(PROTOCOLS)}, got {protocol!r}")
    return data


def _as_written(raw: dict | None, typed: dict) -> dict:
    """The keys written, with the values jsonargparse typed (PyYAML reads `5e-2` as a string; `decomp fit`
    gives the class the float, so must a curve). Keys not written stay out: the class fills its own defaults."""
    return {key: typed[key] for key in raw or {}}


def _budget(check: Checker, raw: dict, sizes: list) -> Budget:
    budget = Budget(**check.section(Budget, raw, "budget"))
    for name in ("max_steps", "min_steps", "patience", "val_every"):
        value = getattr(budget, name)
        floor = 0 if name == "min_steps" else 1
        if value is not None and value < floor and not (name == "patience" and value == 0):
            raise check.fail(f"budget.{name}", f"must be an integer >= {floor}, got {value!r}")
    if budget.min_val_questions < 0:
        raise check.fail("budget.min_val_questions", f"must be >= 0, got {budget.min_val_questions!r}")
    if budget.rule_epochs is not None and (budget.rule_epochs < 1 or not budget.min_val_questions):
        raise check.fail("budget.rule_epochs", f"must be an integer >= 1 with a budget.min_val_questions above 0 "
                         f"(the rule it sets applies to nothing otherwise), got {budget.rule_epochs!r}")
    if budget.min_delta < 0:
        raise check.fail("budget.min_delta", f"must be >= 0, got {budget.min_delta!r}")
    if budget.min_steps > budget.max_steps:
        raise check.fail("budget.min_steps", f"exceeds budget.max_steps ({budget.min_steps} > {budget.max_steps})")
    if budget.patience and budget.min_steps == budget.max_steps:
        raise check.fail("budget.patience", "min_steps == max_steps leaves early stopping nothing to decide; "
                         "set patience: null for a fixed budget")
    if budget.patience and any(k != "all" and 0 < k < 2 for k in sizes):
        raise check.fail("sizes", "early stopping needs a validation split: sizes below 2 cannot carve one")
    return budget


def parse_config(raw: Any, source: str = "<dict>") -> CurveConfig:
    """Validate a parsed curve YAML."""
    check = Checker(source)
    if not isinstance(raw, dict):
        raise ConfigError(f"curve config {source}: expected a mapping at the top level")
    top = check.section(_File, raw, "")
    for key in ("name", "dataset"):
        if not top[key]:
            raise check.fail(key, "must be a non-empty string")
    data = check_data_args(check, raw.get("data"), skip=CELL_OWNED,
                           owned_hint=" (dataset, sizes, folds, subset_seeds, tuning.space/val_fraction)")
    protocol = data.get("protocol", "gold")
    tuning = Tuning(**check.section(Tuning, raw["tuning"], "tuning"))
    if not 0 < tuning.val_fraction < 1:
        raise check.fail("tuning.val_fraction", f"must be in (0, 1), got {tuning.val_fraction!r}")
    for name in ("n_trials", "startup_trials", "heartbeat_interval", "max_retry"):
        if getattr(tuning, name) < (1 if name == "heartbeat_interval" else 0):
            raise check.fail(f"tuning.{name}", f"must be a non-negative integer, got {getattr(tuning, name)!r}")
    if tuning.pruner is not None:
        import optuna

        tuning.pruner = _as_written(tuning.pruner, check.section(optuna.pruners.MedianPruner, tuning.pruner,
                                                                 "tuning.pruner"))
    else:
        tuning.pruner = {"n_startup_trials": 3, "n_warmup_steps": 0}
    if tuning.grace_period is None:
        tuning.grace_period = 2 * tuning.heartbeat_interval
    space = _space(check, raw["tuning"].get("space"))
    searched = [name for name, spec in space.items() if isinstance(spec, list | dict)]
    if tuning.n_trials == 0 and searched:
        raise check.fail("tuning.n_trials", f"0 means fixed hyper-parameters, but the space searches {searched}: "
                         "give each a single value")
    if tuning.search == "tpe" and 0 < tuning.n_trials <= tuning.startup_trials:
        raise check.fail("tuning.search", f"tpe with n_trials {tuning.n_trials} <= startup_trials "
                         f"{tuning.startup_trials} is random search: lower startup_trials or say random")
    sizes = _sizes(check, top["sizes"])
    budget = _budget(check, raw["budget"], sizes)
    readers, strategies = _readers(check, top["readers"]), _strategies(check, top["strategies"])
    for i, strategy in enumerate(strategies):
        check_strategy_meets_data(check, strategy, data, f"strategies[{i}]")
    return CurveConfig(
        name=top["name"], dataset=top["dataset"], data=data, readers=readers, strategies=strategies, sizes=sizes,
        folds=check.int_list(top["folds"], "folds") if protocol == "gold" else [0],
        subset_seeds=check.int_list(top["subset_seeds"], "subset_seeds"),
        training_seeds=check.int_list(top["training_seeds"], "training_seeds"),
        space=space, tuning=tuning, budget=budget, trainer=dict(top["trainer"] or {}),
        run_dir=str(top["run_dir"] or Path("runs/curves") / top["name"]), raw=raw)


def load_config(path: str | Path) -> CurveConfig:
    path = Path(path)
    text = read_given(path, "curve config")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"curve config {path} is not valid YAML: {exc}") from None
    return parse_config(raw, str(path))


# --- the run spec a row embeds ------------------------------------------------------------------------
SPEC_VERSION = 1  # 1: the resolved curve config, the cell, the training seed, the final fit's hyper-parameters


def config_spec(config: CurveConfig) -> dict:
    """The config as load_config resolved it, as a curve YAML mapping (typed values, tuning and budget with
    their defaults filled in): `parse_config` reads it back to a config that runs the same cells alike."""
    spec = {
        "name": config.name, "dataset": config.dataset, "data": config.data, "readers": config.readers,
        "strategies": [{"name": s.name, "options": s.options} for s in config.strategies], "sizes": config.sizes,
        "folds": config.folds, "subset_seeds": config.subset_seeds, "training_seeds": config.training_seeds,
        "tuning": {**asdict(config.tuning), "space": config.space}, "budget": _set_fields(config.budget),
        "trainer": config.trainer, "run_dir": config.run_dir}
    return json.loads(json.dumps(spec))  # a copy, and JSON as the row will hold it


# Fields added after rows were written: a spec leaves them out while unset, so those rows keep their identity.
UNSET_LEFT_OUT = ("rule_epochs",)


def _set_fields(section) -> dict:
    return {k: v for k, v in asdict(section).items() if not (k in UNSET_LEFT_OUT and v is None)}


@dataclass(frozen=True)
class RunSpec:
    """One (cell, training seed) of a curve: all a row needs to be trained and tested again."""

    config: CurveConfig
    cell: Cell
    seed: int
    params: dict  # the final fit's hyper-parameters (the best trial's, or the fixed space)

    def to_dict(self) -> dict:
        cell = self.cell
        return {"spec_version": SPEC_VERSION, "config": config_spec(self.config),
                "cell": {"reader": cell.reader, "strategy": {"name": cell.strategy.name,
                                                             "options": cell.strategy.options},
                         "k": cell.k, "fold": cell.fold, "subset_seed": cell.subset_seed},
                "training_seed": self.seed, "params": json.loads(json.dumps(self.params))}

    @classmethod
    def from_dict(cls, spec: object, source: str) -> RunSpec:
        """The run a row's `spec` describes, checked as a curve config is; errors name `source`."""
        def fail(where: str, message: str) -> ConfigError:
            return ConfigError(f"run spec {source}: field 'spec.{where}': {message}")

        if not isinstance(spec, dict) or spec.get("spec_version") != SPEC_VERSION:
            version = spec.get("spec_version") if isinstance(spec, dict) else None
            raise fail("spec_version", f"is {version!r}; this code reads spec_version {SPEC_VERSION}")
        config = parse_config(spec.get("config"), f"{source} (spec.config)")
        raw = spec.get("cell")
        try:
            cell = Cell.from_dict(raw)
        except (KeyError, TypeError):
            raise fail("cell", f"expected {{reader, strategy: {{name, options}}, k, fold, subset_seed}}, "
                               f"got {raw!r}") from None
        if cell not in config.cells():
            raise fail("cell", f"{cell.key} is not a cell of the spec's config")
        seed, params = spec.get("training_seed"), spec.get("params")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise fail("training_seed", f"expected an integer, got {seed!r}")
        if not isinstance(params, dict):
            raise fail("params", f"expected a mapping of hyper-parameters, got {params!r}")
        return cls(config, cell, seed, params)
