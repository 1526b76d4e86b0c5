"""Decomposition strategies. Importing this package registers every built-in strategy."""

from decomp.strategies import explicit, implicit, none  # noqa: F401  (registration side effect)
from decomp.strategies.base import REGISTRY, Strategy, get_strategy, register

__all__ = ["REGISTRY", "Strategy", "get_strategy", "register"]
