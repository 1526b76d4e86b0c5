"""Decomposition strategies; `REGISTRY` discovers every module of this package on first use."""

from decomp.strategies.base import REGISTRY, Strategy, check_decompositions, get_strategy, register

__all__ = ["REGISTRY", "Strategy", "check_decompositions", "get_strategy", "register"]
