"""The run spec of a `decomp fit`: the reader (kind and arguments), strategy, data arguments, trainer budget and seed
it trains with, resolved from LightningCLI's config before any class is built, by the checkers a curve config goes
through (`decomp.curves.config`): a mistake in the reader or data arguments is refused in the same words by
`decomp fit` and `decomp curve`, and values are typed alike.

`decomp fit` writes it as `fit_spec.json` in its run folder, beside the versions a curve row records (spec, reader
and strategy format versions, git commit, packages); `decomp refit RUN_DIR --out DIR` fits it again. Reading and
checking a spec imports no torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

import decomp.readers
from decomp.curves import signatures
from decomp.curves.config import (
    Checker,
    Strategy,
    check_data_args,
    check_reader_args,
    check_strategy,
    check_strategy_meets_data,
    did_you_mean,
    reader_kinds,
)
from decomp.errors import ConfigError
from decomp.io import read_given
from decomp.provenance import git_commit, package_versions
from decomp.readers import REGISTRY as READERS
from decomp.strategies import REGISTRY as STRATEGIES

FIT_SPEC = "fit_spec.json"
FIT_SPEC_VERSION = 1  # 1: reader kind and arguments, strategy, data arguments, trainer budget, seed
DATA_CLASS = "decomp.data.module.DecompDataModule"
STRATEGY_ARGS = ("strategy", "strategy_options")  # reader arguments the spec holds as its strategy
# The Trainer options that decide what a fit trains (not where it logs nor how it reports progress).
TRAINER_KEYS = ("accelerator", "devices", "precision", "max_epochs", "min_epochs", "max_steps", "min_steps",
                "accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm", "limit_train_batches",
                "limit_val_batches", "val_check_interval", "check_val_every_n_epoch", "num_sanity_val_steps",
                "deterministic")


@dataclass(frozen=True)
class Where:
    """Where each part of a spec sits in the mapping it is read from (error messages name these paths)."""

    reader: str
    strategy: str
    options: str
    data: str
    trainer: str
    seed: str


IN_CONFIG = Where("model.init_args", "model.init_args.strategy", "model.init_args.strategy_options", "data",
                  "trainer", "seed_everything")
IN_SPEC = Where("spec.reader.args", "spec.strategy.name", "spec.strategy.options", "spec.data", "spec.trainer",
                "spec.seed_everything")


@dataclass(frozen=True)
class FitSpec:
    reader: str  # a kind of decomp.readers.REGISTRY
    reader_args: dict  # its init arguments but the strategy's, typed
    strategy: Strategy
    data: dict  # DecompDataModule's init arguments, typed
    trainer: dict  # those of TRAINER_KEYS the config gives
    seed: int | bool  # seed_everything (False: unseeded)

    def to_dict(self) -> dict:
        spec = {"spec_version": FIT_SPEC_VERSION, "reader": {"kind": self.reader, "args": self.reader_args},
                "strategy": {"name": self.strategy.name, "options": self.strategy.options}, "data": self.data,
                "trainer": self.trainer, "seed_everything": self.seed}
        return json.loads(json.dumps(spec))  # a copy, and JSON as the file holds it

    @classmethod
    def from_dict(cls, spec: object, source: str) -> FitSpec:
        """The fit a `fit_spec.json`'s `spec` describes, checked as `decomp fit` checks its config."""
        check = Checker(source, "fit spec")
        if not isinstance(spec, dict) or spec.get("spec_version") != FIT_SPEC_VERSION:
            version = spec.get("spec_version") if isinstance(spec, dict) else None
            raise check.fail("spec.spec_version", f"is {version!r}; this code reads spec_version {FIT_SPEC_VERSION}")
        reader, strategy = check.mapping(spec.get("reader"), "spec.reader"), check.mapping(spec.get("strategy"),
                                                                                            "spec.strategy")
        kinds = reader_kinds()
        if reader.get("kind") not in kinds:
            raise check.fail("spec.reader.kind", f"unknown reader {reader.get('kind')!r}; "
                             f"{did_you_mean(reader.get('kind'), kinds)}known: {', '.join(kinds)}")
        args = {**check.mapping(reader.get("args"), IN_SPEC.reader), "strategy": strategy.get("name"),
                "strategy_options": strategy.get("options")}
        return _resolve(check, IN_SPEC, reader["kind"], args, spec.get("data"), spec.get("trainer"),
                        spec.get("seed_everything"))

    def lightning_config(self, save_dir: str | Path) -> dict:
        """The `decomp fit` config this spec describes, logging into `save_dir` (imports the reader's class)."""
        logger = {"class_path": "lightning.pytorch.loggers.CSVLogger",
                  "init_args": {"save_dir": str(save_dir), "name": "", "version": ""}}
        model_args = {**self.reader_args, "strategy": self.strategy.name,
                      "strategy_options": self.strategy.options or None}
        return {"seed_everything": self.seed, "trainer": {**self.trainer, "logger": logger},
                "model": {"class_path": decomp.readers.class_path(self.reader), "init_args": model_args},
                "data": {"class_path": DATA_CLASS, "init_args": self.data}}


def _resolve(check: Checker, at: Where, kind: str, args: dict, data: object, trainer: object,
             seed: object) -> FitSpec:
    """The one path from a reader's arguments (strategy included), data arguments, trainer options and seed to a
    spec: the curve config's checkers type and check each."""
    args = dict(args)
    name, options = args.pop("strategy", None), args.pop("strategy_options", None)
    reader_args = check_reader_args(check, kind, args, at.reader, skip=STRATEGY_ARGS)
    strategy = check_strategy(check, name, options, at.strategy, at.options)
    data = check_data_args(check, check.mapping(data, at.data), at.data)
    check_strategy_meets_data(check, strategy, data, at.strategy)
    trainer = check.mapping(trainer, at.trainer)
    for key in trainer:
        if key not in TRAINER_KEYS:
            raise check.fail(f"{at.trainer}.{key}", f"not a trainer option a fit spec holds; "
                             f"{did_you_mean(key, TRAINER_KEYS)}valid: {', '.join(TRAINER_KEYS)}")
    if not isinstance(seed, int):
        raise check.fail(at.seed, f"expected an integer (or false), got {seed!r}")
    return FitSpec(kind, reader_args, strategy, data, dict(trainer), seed)


def reader_kind(class_path: object) -> str | None:
    """The registered reader kind a model class path names (`decomp.readers.ExtractiveReader`, or with its
    module), read from source like the kinds themselves; None for another class."""
    try:
        sources = signatures.reader_sources()
    except (signatures.Unreadable, SyntaxError, OSError):  # a plug-in without source: the registry knows
        sources = {kind: (cls.__module__, cls.__qualname__) for kind, cls in READERS.items()}
    package = decomp.readers.__name__
    for kind, (module, name) in sources.items():
        if class_path == f"{module}.{name}" or (module.startswith(f"{package}.") and class_path == f"{package}.{name}"):
            return kind
    return None


def _data_args(data: object) -> dict | None:
    """`DecompDataModule`'s arguments in a `data` section: written alone (it is the default class), or under its
    class path; None for another data class."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        return None
    if "class_path" not in data:
        return data
    return (data.get("init_args") or {}) if data["class_path"] == DATA_CLASS else None


def fit_spec(config: Mapping, source: str) -> FitSpec | None:
    """The spec of a LightningCLI subcommand's parsed config (as a dict); None when it does not train a registered
    reader on `DecompDataModule` (the decomposer's configs)."""
    model = config.get("model")
    if not isinstance(model, dict):
        return None
    kind, data = reader_kind(model.get("class_path")), _data_args(config.get("data"))
    if kind is None or data is None:
        return None
    trainer = config.get("trainer") or {}
    return _resolve(Checker(source, "fit config"), IN_CONFIG, kind, model.get("init_args") or {}, data,
                    {key: trainer[key] for key in TRAINER_KEYS if key in trainer}, config.get("seed_everything"))


def config_files(words: Sequence[str]) -> list[Path]:
    """The files a LightningCLI command line gives to `--config` (`-c`); a config given inline is not a file."""
    found = []
    for i, word in enumerate(words):
        value = word.partition("=")[2] if word.startswith("--config=") else None
        if word in ("--config", "-c") and i + 1 < len(words):
            value = words[i + 1]
        if value and _is_file(value):
            found.append(Path(value))
    return found


def _is_file(value: str) -> bool:
    try:
        return Path(value).is_file()
    except OSError:  # a config given inline can be too long a name
        return False


def check_config_files(words: Sequence[str]) -> None:
    """The reader and data arguments of each `--config` file, checked as `decomp curve` checks its own before
    jsonargparse reads them (it would word the same mistake its own way). The strategy, a whole config's matter,
    is checked once parsed (`fit_spec`)."""
    for path in config_files(words):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # jsonargparse reports it
        if not isinstance(raw, dict):
            continue
        check, model = Checker(str(path), "fit config"), raw.get("model")
        kind = reader_kind(model.get("class_path")) if isinstance(model, dict) else None
        if kind is not None:
            args = {k: v for k, v in check.mapping(model.get("init_args"), IN_CONFIG.reader).items()
                    if k not in STRATEGY_ARGS}
            check_reader_args(check, kind, args, IN_CONFIG.reader, skip=STRATEGY_ARGS)
        data = _data_args(raw.get("data"))
        if data is not None:
            check_data_args(check, check.mapping(data, IN_CONFIG.data), IN_CONFIG.data)


def spec_record(spec: FitSpec, reader_version: int) -> dict:
    """What `decomp fit` writes: the spec, with the versions a curve row records beside its own spec."""
    return {"spec": spec.to_dict(), "reader_version": reader_version,
            "strategy_version": STRATEGIES[spec.strategy.name].format_version, "git_commit": git_commit(),
            "versions": package_versions()}


def read_fit_spec(path: str | Path) -> tuple[FitSpec, dict]:
    """A `fit_spec.json` (or the run folder holding it): its spec, checked, and the record around it."""
    path = Path(path)
    path = path / FIT_SPEC if path.is_dir() else path
    text = read_given(path, "fit spec")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"fit spec {path} is not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(record, dict):
        raise ConfigError(f"fit spec {path}: expected a JSON object with a spec")
    return FitSpec.from_dict(record.get("spec"), str(path)), record
