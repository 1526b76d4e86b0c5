"""Readers: LightningModules that answer a question over a context.

`ExtractiveReader` and `GenerativeReader` are imported on first use, so that `decomp.readers.types`
(which strategies import) does not pull in torch and transformers.
"""

from __future__ import annotations

import importlib

_LAZY = {"ReaderModule": "decomp.readers.base", "ExtractiveReader": "decomp.readers.extractive",
         "GenerativeReader": "decomp.readers.generative"}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
