"""Readers: LightningModules that answer a question over a context.

`REGISTRY` maps a reader kind (`extractive`, `generative`, ...) to its class; a new reader is one module
in this package whose class carries `@register_reader("<kind>")` (plug-ins: the `decomp.readers`
entry-point group). Reader modules import torch and transformers, so `REGISTRY` imports them on first
read and the classes are attributes of this package on first use (`decomp.readers.ExtractiveReader`).
"""

from __future__ import annotations

import importlib

from decomp.registry import Registry

REGISTRY: Registry = Registry("reader", "decomp.readers", group="decomp.readers")
register_reader = REGISTRY.decorator


def class_path(kind: str) -> str:
    """The import path configs use for a reader kind: `decomp.readers.<Class>` for this package's readers."""
    cls = REGISTRY[kind]
    inside = cls.__module__.startswith(f"{__name__}.")
    return f"{__name__}.{cls.__name__}" if inside else f"{cls.__module__}.{cls.__qualname__}"


def __getattr__(name: str):
    if name.startswith("_"):  # introspection (`__wrapped__`, ...) must not import every reader
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "ReaderModule":
        return importlib.import_module("decomp.readers.base").ReaderModule
    for cls in REGISTRY.values():
        if cls.__name__ == name and cls.__module__.startswith(f"{__name__}."):
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
