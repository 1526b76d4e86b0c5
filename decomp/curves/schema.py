"""The init signatures a curve config's `data:` and `readers.<kind>` sections are checked against, on file.

`DecompDataModule` and the reader classes import torch, lightning and transformers (about ten CPU-seconds),
too slow for a config check that should fail in a second. `schema.json` records, for the DataModule and each
reader kind of `decomp.readers.REGISTRY`, the parameters jsonargparse reads from the class (as `decomp fit`'s
LightningCLI does, `**kwargs` followed into the base class): name, annotation and default. The config check
turns an entry into a dataclass, so jsonargparse checks the same names and types as for the class itself.

Regenerate after changing those signatures (a test fails while the file is stale):

    python -m decomp.curves.schema

A reader the file does not cover (a plug-in, or a reader module newer than the file) is checked against its
class, imported through the registry.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import json
import pkgutil
import typing
from dataclasses import field, make_dataclass
from importlib.metadata import entry_points
from pathlib import Path

import decomp.readers

PATH = Path(__file__).with_name("schema.json")
# What annotations on file may name besides builtins (`typing.X` is written as `X`).
NAMES = {"__builtins__": builtins, **{name: getattr(typing, name) for name in typing.__all__}}


def annotation_text(annotation: object, where: str) -> str | None:
    """An annotation as text that evaluates back to it (None: untyped, checked as Any)."""
    if annotation is inspect.Parameter.empty:
        return None
    text = annotation.__name__ if isinstance(annotation, type) and not typing.get_args(annotation) else (
        str(annotation).replace("typing.", ""))
    try:
        same = eval(text, dict(NAMES)) == annotation
    except Exception:  # a name the file cannot hold (a class of its own)
        same = False
    if not same:
        raise TypeError(f"{where}: annotation {annotation!r} cannot be written as text; use builtins and typing")
    return text


def signature(cls: type) -> list[dict]:
    """The init parameters jsonargparse reads from `cls` (what `add_class_arguments` checks)."""
    # The resolver add_class_arguments uses; it follows **kwargs into the base class's __init__.
    from jsonargparse._parameter_resolvers import get_signature_parameters

    out = []
    for param in get_signature_parameters(cls, None, logger=False):
        where = f"{cls.__qualname__}.{param.name}"
        default = None if param.default is inspect.Parameter.empty else param.default
        try:
            as_json = json.loads(json.dumps(default)) == default
        except TypeError:
            as_json = False
        if not as_json:
            raise TypeError(f"{where}: default {default!r} is not JSON")
        entry = {"name": param.name, "annotation": annotation_text(param.annotation, where), "default": default}
        if param.default is inspect.Parameter.empty:
            entry["required"] = True
        out.append(entry)
    return out


def _reader_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(decomp.readers.__path__))


def generate() -> dict:
    """The file's content, from the real classes (imports torch): the DataModule, then the readers of this
    package by kind (plug-ins are left to their classes)."""
    from decomp.data.module import DecompDataModule
    from decomp.readers import REGISTRY

    # Sorted: the registry's order is the order modules happened to be imported in this process.
    readers = {kind: signature(REGISTRY[kind]) for kind in sorted(REGISTRY)
               if REGISTRY[kind].__module__.startswith(f"{decomp.readers.__name__}.")}
    return {"data": signature(DecompDataModule), "readers": readers, "reader_modules": _reader_modules()}


def render() -> str:
    """The file's text: one parameter a line, so a changed signature is a one-line diff."""
    content = generate()

    def params(entries: list[dict], indent: str) -> str:
        return "[\n" + ",\n".join(indent + json.dumps(entry) for entry in entries) + "]"

    readers = ",\n".join(f"  {json.dumps(kind)}: {params(entries, '   ')}"
                         for kind, entries in content["readers"].items())
    return (f'{{\n "data": {params(content["data"], "  ")},\n "readers": {{\n{readers}}},\n'
            f' "reader_modules": {json.dumps(content["reader_modules"])}\n}}\n')


@functools.cache
def _load() -> dict:
    return json.loads(PATH.read_text(encoding="utf-8"))


def _dataclass(name: str, params: list[dict]) -> type:
    fields = []
    for param in params:
        kind = typing.Any if param["annotation"] is None else eval(param["annotation"], dict(NAMES))
        default = param["default"]
        if param.get("required"):
            fields.append((param["name"], kind))
        elif isinstance(default, list | dict):
            fields.append((param["name"], kind, field(default_factory=functools.partial(json.loads,
                                                                                        json.dumps(default)))))
        else:
            fields.append((param["name"], kind, field(default=default)))
    return make_dataclass(name, fields)


def data_arguments() -> type:
    """`DecompDataModule`'s init arguments as a dataclass."""
    return _dataclass("DecompDataModuleArguments", _load()["data"])


def reader_arguments(kind: str) -> type | None:
    """A reader kind's init arguments as a dataclass; None when the file does not hold the kind."""
    params = _load()["readers"].get(kind)
    return None if params is None else _dataclass(f"ReaderArguments_{kind.replace('-', '_')}", params)


def reader_kinds() -> list[str] | None:
    """Every reader kind, sorted, when the file covers them all: no plug-in is installed, the package holds
    the modules the file was generated from, and nothing registered in this process (a class defined at run
    time) is missing from it. None: only the registry knows."""
    kinds = _load()["readers"]
    if (entry_points(group=decomp.readers.REGISTRY.group) or _load()["reader_modules"] != _reader_modules()
            or set(decomp.readers.REGISTRY.registered()) - set(kinds)):
        return None
    return sorted(kinds)


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {PATH}")
