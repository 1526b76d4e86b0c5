"""An adaptation recipe (`configs/adapt/<name>.yaml`): which reader, which QA data, how long; and where its
adapted model lives (`<cache>/adapted/<name>-<hash>`, keyed by the recipe, so a changed recipe is a new model).

A reader names an adapted starting point as `model: adapted/<name>` (the recipe found as `recipe_dirs` says) or by
its folder; a recipe may itself start from another adapted model (stages). The committed recipes are package data
(`decomp/adapt/recipes`, a link to the checkout's `configs/adapt`), so an installed copy finds them too.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

import yaml

from decomp.data.adaptation import SOURCES
from decomp.data.cache import default_cache_dir
from decomp.data.datasets import DATASETS
from decomp.data.overlap import paragraph_prints, protected_examples, question_print
from decomp.errors import ConfigError
from decomp.hashing import json_digest
from decomp.io import read_given

ADAPTED = "adapted/"
RECIPES_ENV = "DECOMP_ADAPT_CONFIGS"  # a folder of recipes looked up first
FORMAT = "adapt-v1"  # bump when what `decomp adapt` writes for the same recipe changes
CARD = "card.json"
PRINTS = "prints.json"  # question and paragraph prints of every adaptation record, for the curves' check
HEADS = "heads.pt"  # the reader's own heads beside the transformers model (tagging, span count, ...)


@dataclass(frozen=True)
class SourceSpec:
    """One QA source. max_questions: a seeded sample of whole passages; drop_overlap: leave out (and count) the
    records that share a question or paragraph with a protected evaluation set, instead of stopping; held_out:
    this source's held-out questions when the recipe's count would take too much of a small source."""

    name: str
    max_questions: int | None = None
    drop_overlap: bool = False
    held_out: int | None = None

    def resolved(self) -> dict:
        # an unset override is left out, so recipes written before it keep their hash (and their cached folder)
        return {k: v for k, v in asdict(self).items() if not (k == "held_out" and v is None)}


@dataclass(frozen=True)
class Training:
    steps: int
    lr: float = 5e-5
    batch_size: int = 16
    warmup_ratio: float = 0.1
    seed: int = 0
    precision: str = "auto"
    checkpoint_every: int = 100


@dataclass(frozen=True)
class Recipe:
    name: str
    reader: dict  # {kind: {reader arguments}}, one kind
    sources: tuple[SourceSpec, ...]
    training: Training
    protects: dict = field(default_factory=lambda: {"drop": ["gold", "deployed"], "hotpotqa": ["gold", "deployed"]})
    held_out: int = 200  # questions per source (whole passages) scored into the card, never trained on
    description: str = ""

    @property
    def kind(self) -> str:
        return next(iter(self.reader))

    @property
    def reader_args(self) -> dict:
        return dict(self.reader[self.kind])

    def resolved(self) -> dict:
        return {**asdict(self), "sources": [s.resolved() for s in self.sources], "format": FORMAT}

    @property
    def digest(self) -> str:
        from decomp.readers import REGISTRY

        key = {k: v for k, v in self.resolved().items() if k != "description"}
        key["reader_version"] = REGISTRY[self.kind].version
        return json_digest(key, 12, default=None)

    def folder(self, cache_dir: str | Path | None = None) -> Path:
        return Path(cache_dir or default_cache_dir()) / "adapted" / f"{self.name}-{self.digest}"


def _check_keys(cls, raw: object, where: str, path: str) -> None:
    """`raw` is a mapping whose keys are fields of `cls`; else an error naming the file and the key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where or 'the top'} must be a mapping, got {type(raw).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{path}: unknown key {key} (known: {', '.join(sorted(known))})")


def _typed(cls, raw: object, where: str, path: str):
    _check_keys(cls, raw, where, path)
    try:
        return cls(**raw)
    except TypeError as exc:
        raise ConfigError(f"{path}: {where}: {exc}") from None


def _numbers(section, where: str, path: str):
    """The section with its int and float fields checked and typed: YAML reads `5e-5` (no dot) as a string."""
    values = {}
    for f in fields(section):
        value = getattr(section, f.name)
        optional = str(f.type).endswith(" | None")
        kind = {"int": int, "float": float}.get(str(f.type).removesuffix(" | None"))
        if kind is None or (optional and value is None):
            continue
        try:
            if isinstance(value, bool) or (kind is int and isinstance(value, float) and not value.is_integer()):
                raise ValueError
            values[f.name] = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: {where}.{f.name} must be {'an integer' if kind is int else 'a number'}, "
                              f"got {value!r}") from None
    return replace(section, **values)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe; every error names the file and the key."""
    path = Path(path)
    text = read_given(path, "adaptation recipe")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    _check_keys(Recipe, raw, "", str(path))
    from decomp.readers import REGISTRY

    for key in ("name", "reader", "sources", "training"):
        if key not in raw:
            raise ConfigError(f"{path}: missing key {key}")
    reader = raw["reader"]
    if not isinstance(reader, dict) or len(reader) != 1 or next(iter(reader)) not in REGISTRY:
        raise ConfigError(f"{path}: reader must name one reader kind ({', '.join(sorted(REGISTRY))}) with its "
                          "arguments")
    sources = []
    for i, s in enumerate(raw["sources"] or ()):
        spec = _numbers(_typed(SourceSpec, s, f"sources[{i}]", str(path)), f"sources[{i}]", str(path))
        if spec.name not in SOURCES:
            raise ConfigError(f"{path}: sources[{i}].name {spec.name!r} is not one of {', '.join(SOURCES)}")
        for key, low in (("held_out", 0), ("max_questions", 1)):
            value = getattr(spec, key)
            if value is not None and value < low:
                raise ConfigError(f"{path}: sources[{i}].{key} must be at least {low}, got {value}")
        sources.append(spec)
    if not sources:
        raise ConfigError(f"{path}: sources is empty")
    training = _numbers(_typed(Training, raw["training"], "training", str(path)), "training", str(path))
    if training.steps < 1:
        raise ConfigError(f"{path}: training.steps must be at least 1")
    protects = raw.get("protects", Recipe.__dataclass_fields__["protects"].default_factory())
    if not isinstance(protects, dict) or not all(isinstance(v, list) for v in protects.values()):
        raise ConfigError(f"{path}: protects must map a dataset to a list of protocols")
    recipe = Recipe(name=str(raw["name"]), reader=reader, sources=tuple(sources), training=training,
                    protects=protects, held_out=raw.get("held_out", 200), description=str(raw.get("description", "")))
    return _numbers(recipe, "recipe", str(path))


def recipe_dirs() -> list[Path]:
    """Where `adapted/<name>` recipes are looked up, in order: $DECOMP_ADAPT_CONFIGS, ./configs/adapt, the
    recipes installed with the package."""
    dirs = [Path(os.environ[RECIPES_ENV])] if os.environ.get(RECIPES_ENV) else []
    # A regular package installed on disk (setuptools, editable or not) gives a real path here.
    return [*dirs, Path("configs") / "adapt", Path(str(resources.files("decomp.adapt") / "recipes"))]


def find_recipe(spec: str) -> Path:
    """The recipe file of `adapted/<name>`: the first in `recipe_dirs`; else an error naming where it looked."""
    name = spec[len(ADAPTED):]
    found = next((d / f"{name}.yaml" for d in recipe_dirs() if (d / f"{name}.yaml").is_file()), None)
    if found is None:
        raise ConfigError(f"model {spec!r}: no recipe {name}.yaml in {', '.join(map(str, recipe_dirs()))} "
                          f"(set ${RECIPES_ENV} to a folder of recipes)")
    return found


def adapted_folder(spec: str) -> Path | None:
    """The folder of an adapted model named `adapted/<name>` or given as a folder holding a card; None when the
    spec names no adapted model. A named recipe that has not been run is an error saying how to run it."""
    if spec.startswith(ADAPTED):
        recipe_path = find_recipe(spec)
        folder = load_recipe(recipe_path).folder()
        if not (folder / CARD).is_file():
            raise ConfigError(f"model {spec!r}: not adapted yet on this machine ({folder} is missing); run "
                              f"`decomp adapt --config {recipe_path}`")
        return folder
    folder = Path(spec)
    return folder if (folder / CARD).is_file() else None


def read_card(folder: Path) -> dict:
    return _read_json(folder / CARD)


def _read_json(path: Path) -> dict:
    """A file of an adapted folder; a missing or damaged one is an error naming it (re-run `decomp adapt`)."""
    try:
        found = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"adapted model file {path}: {exc.strerror}; re-run `decomp adapt` for it") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"adapted model file {path} is damaged ({exc.msg}, line {exc.lineno}); delete the "
                          "folder and re-run `decomp adapt`") from None
    if not isinstance(found, dict):
        raise ConfigError(f"adapted model file {path} is damaged (not a JSON object); delete the folder and "
                          "re-run `decomp adapt`")
    return found


def check_curve_start(model: str, dataset: str, data: dict) -> None:
    """A curve whose reader starts from an adapted model: no question or paragraph it evaluates on (its
    protocol's evaluation set, the whole pool for `gold`) was read in adaptation. Stops at the first, naming
    the adaptation source, its question and the evaluation question."""

    folder = adapted_folder(model)
    if folder is None:
        return
    prints = _read_json(folder / PRINTS)
    options = {k: data[k] for k in ("data_dir", "source", "break_source", "break_config") if data.get(k)}
    protocol = data.get("protocol", "gold")
    if DATASETS[dataset].generated:
        return  # no adaptation source holds its passages
    for e in protected_examples(dataset, protocol, **options):
        seen = prints["questions"].get(question_print(e))
        shared = next((prints["paragraphs"][p] for p in sorted(paragraph_prints(e)) if p in prints["paragraphs"]),
                      None)
        if seen or shared:
            raise ConfigError(f"model {model!r} was adapted on {seen or shared}, which shares "
                              f"{'the question' if seen else 'a passage'} with {dataset}/{protocol} evaluation "
                              f"question {e.id!r} ({e.question[:80]!r}; passage {e.group!r}): the curve would "
                              "score a reader on what it was trained on")
