"""The synthetic source, beside the real ones; it lives in the `decomp.data.synthetic` package."""

from decomp.data.synthetic import SyntheticConfig, generate
from decomp.data.synthetic.generator import SOURCES

__all__ = ["SOURCES", "SyntheticConfig", "generate"]
