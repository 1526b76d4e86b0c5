"""What every result records about where it came from: code commit, package versions, config hash."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from decomp.hashing import json_digest

PACKAGES = ("decomp", "torch", "lightning", "transformers", "datasets", "evaluate", "spacy", "optuna", "numpy")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def hardware() -> str:
    """The accelerator a run used, else the CPU with its bf16 capability (machines here differ: bf16 autocast
    is native with AVX512-BF16/AMX, emulated and far slower without): 'NVIDIA H100 80GB HBM3' or
    'cpu x86_64, 2 cores, 2 torch threads, avx512_bf16'."""
    import torch

    from decomp.precision import cpu_has_bf16

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    bf16 = "avx512_bf16" if cpu_has_bf16() else "no native bf16"
    return f"cpu {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, {bf16}"


@functools.cache
def git_commit(repo: str | Path | None = None) -> str:
    """The checkout's commit (with `+dirty` when it has uncommitted changes), or 'unknown'. Read once per
    process (the curve reads it at start): the code a long run has loaded is that of its start, whatever is
    committed while it trains."""
    cwd = str(repo or Path(__file__).resolve().parents[1])
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def config_hash(config: dict) -> str:
    return json_digest(config, 16)
