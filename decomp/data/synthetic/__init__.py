"""The embedded synthetic multi-step reading set: offline default data and a controlled benchmark.

`generate(n, seed, config)` makes DROP-like passages (football games, battles, censuses) and
HotpotQA-like paragraph sets, each question with a gold BREAK-style decomposition and the gold
answer of every step.
"""

from decomp.data.synthetic.config import SyntheticConfig
from decomp.data.synthetic.generator import generate

__all__ = ["SyntheticConfig", "generate"]
