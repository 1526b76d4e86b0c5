"""Dataset cards: one YAML per dataset beside this module (sources, hub names, official file names,
checksums, licence, sizes, how to obtain the files).

The cards are package data, read through `importlib.resources`, so an installed package (not only a
checkout) finds them; $DECOMP_CARDS_DIR points at another folder of cards. The registry must match them:
every registered dataset has a card with `role: dataset`, and every such card a registered dataset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import yaml

from decomp.errors import ConfigError, DataError
from decomp.registry import where

CARDS_ENV = "DECOMP_CARDS_DIR"
REQUIRED = ("name", "title", "role", "licence", "sources", "sizes")
ROLES = ("dataset", "decompositions")


def cards_dir() -> Path:
    """$DECOMP_CARDS_DIR, else this package's folder (installed as package data)."""
    value = os.environ.get(CARDS_ENV)
    # A regular package installed on disk (setuptools, editable or not) gives a real path here.
    path = Path(value) if value else Path(str(resources.files(__name__)))
    if not path.is_dir() or not any(path.glob("*.yaml")):
        raise ConfigError(f"no dataset cards (*.yaml) in {path}: reinstall decomp (the cards are its package "
                          f"data) or set {CARDS_ENV} to a folder of cards")
    return path


def _check(card: object, path: Path) -> dict:
    if not isinstance(card, dict):
        raise DataError("expected a mapping", file=str(path))
    for key in REQUIRED:
        if key not in card:
            raise DataError("missing", file=str(path), field=key)
    if card["name"] != path.stem:
        raise DataError(f"name {card['name']!r} differs from the file name {path.stem!r}", file=str(path), field="name")
    if card["role"] not in ROLES:
        raise DataError(f"expected one of {ROLES}, got {card['role']!r}", file=str(path), field="role")
    if not isinstance(card["sources"], dict) or not card["sources"]:
        raise DataError("expected a mapping of sources", file=str(path), field="sources")
    for kind, spec in card["sources"].items():
        for i, f in enumerate((spec or {}).get("files") or ()):
            if not isinstance(f, dict) or not (f.get("path") or f.get("name")):
                raise DataError("each file needs a path (shared) or name (official)", file=str(path),
                                field=f"sources.{kind}.files[{i}]")
    return card


def _load(directory: str) -> dict[str, dict]:
    cards = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            try:
                cards[path.stem] = _check(yaml.safe_load(f), path)
            except yaml.YAMLError as exc:
                raise DataError(f"invalid YAML: {exc}", file=str(path)) from None
    return cards


def load_cards() -> dict[str, dict]:
    """Every card, by name (read afresh: a few small files)."""
    return _load(str(cards_dir()))


def card(name: str) -> dict:
    cards = load_cards()
    if name not in cards:
        raise ConfigError(f"no dataset card {name}.yaml in {cards_dir()} (known: {', '.join(sorted(cards))})")
    return cards[name]


def official_files(name: str) -> dict[str, str]:
    """split -> official file name, as the card declares."""
    return {f["split"]: f["name"] for f in card(name)["sources"].get("official", {}).get("files", ())}


def check_registry(registered: Mapping[str, type]) -> None:
    """The registry and the cards name the same datasets; a difference names the module or the card."""
    declared = {n for n, c in load_cards().items() if c["role"] == "dataset"}
    for name in sorted(set(registered) - declared):
        raise ConfigError(f"dataset {name!r} ({where(registered[name])}) has no card: add "
                          f"{cards_dir() / (name + '.yaml')} with role: dataset")
    for name in sorted(declared - set(registered)):
        raise ConfigError(f"card {cards_dir() / (name + '.yaml')} declares dataset {name!r}, but no module "
                          "registers it (decomp/data/dataset_<name>.py with @register_dataset)")


def card_lines(name: str) -> list[str]:
    """What `decomp data stats` prints of a card: licence, sources, sizes."""
    c = card(name)
    lines = [f"  card: {cards_dir() / (name + '.yaml')} ({c['title']})", f"  licence: {c['licence']}"]
    for kind, spec in c["sources"].items():
        spec = spec or {}
        hub = f" {spec['name']}" + (f" (config {spec['config']})" if spec.get("config") else "") \
            if kind == "hub" else ""
        lines.append(f"  source {kind}:{hub}")
        for f in spec.get("files") or ():
            checksum = f" sha256 {f['sha256'][:16]}..." if f.get("sha256") else ""
            lines.append(f"    {f.get('path') or f.get('name')} [{f.get('split', '')}]{checksum}")
    for label, sizes in c["sizes"].items():
        text = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in (sizes or {}).items())
        lines.append(f"  size ({label}): {text}")
    return lines
