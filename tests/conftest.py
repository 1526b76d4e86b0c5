"""Suite-wide settings: offline hub, a private cache, and the real data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models gain nothing from a second intra-op thread, and on a busy 2-core machine two threads spin
# against each other (a 60-step tiny fit: 104 s with 2 threads, 3 s with 1). Set before torch is imported,
# so it holds in this process and in every `decomp` subprocess a test starts (decomp.precision reads it).
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
# CI and the README point DECOMP_DATA_DIR at the shared data beside the checkout; fall back to it.
os.environ.setdefault("DECOMP_DATA_DIR", str(REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["DECOMP_CACHE_DIR"] = str(tmp_path_factory.mktemp("decomp-cache"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real BREAK/DROP/HotpotQA files. CI has them; a checkout without them skips, saying why."""
    path = Path(os.environ["DECOMP_DATA_DIR"])
    if not (path / "raw" / "break").is_dir():
        pytest.skip(f"real data not found at {path} (set DECOMP_DATA_DIR to the shared data folder)")
    return path
