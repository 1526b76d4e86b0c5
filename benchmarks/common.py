"""What every benchmark records: the machine, package versions, precision, timing and peak memory helpers."""

from __future__ import annotations

import datetime
import json
import logging
import os
import platform
import re
import resource
import statistics
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def quiet() -> None:
    """Silence the per-run chatter of Lightning, transformers and tokenizers (it is not what is measured)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "decomp.readers.base"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    noise = "does not have many workers|treespec|TF32|Tensor Cores|val_dataloader|pin_memory"
    warnings.filterwarnings("ignore", message=f".*({noise}).*")


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with `n` torch CPU threads (None: as they are), then restore them (tests call benchmarks in-process)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(n or threads)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def on_cuda() -> bool:
    return torch.cuda.is_available()


def bf16() -> bool:
    """bf16 autocast for both sides where the processor computes in bf16 natively (`precision: auto`: a bf16
    GPU, or a CPU with AVX512-BF16/AMX); fp32 elsewhere (emulated bf16 is many times slower)."""
    from decomp.precision import resolve_precision

    return resolve_precision("auto") == "bf16-mixed"


def device_slug() -> str:
    """'cpu' or the GPU's name in lower case with dashes ('nvidia-h100-80gb-hbm3'): names results files."""
    if not on_cuda():
        return "cpu"
    return re.sub(r"[^a-z0-9]+", "-", torch.cuda.get_device_name(0).lower()).strip("-")


def environment(script: str, argv: Sequence[str]) -> dict:
    """Where and when a benchmark ran, and the command that reproduces it (`python -m benchmarks.<script> ...`)."""
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "lightning", "datasets", "decomp"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": torch.cuda.get_device_name(0) if on_cuda() else f"cpu {platform.machine()}",
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()), "versions": versions,
        "command": " ".join(["python", "-m", f"benchmarks.{script}", *argv]),
    }


def synchronize() -> None:
    """Wait for queued GPU work, so a clock read covers it (a no-op on CPU)."""
    if on_cuda():
        torch.cuda.synchronize()


class Clock:
    """Wall seconds between `start()` and `stop()`, both taken after a GPU synchronize."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.seconds: float | None = None

    def start(self) -> None:
        synchronize()
        self.started = time.perf_counter()

    def stop(self) -> float:
        synchronize()
        self.seconds = time.perf_counter() - self.started
        return self.seconds


def reset_gpu_peak() -> None:
    if on_cuda():
        torch.cuda.reset_peak_memory_stats()


def gpu_peak_mb() -> float | None:
    return round(torch.cuda.max_memory_allocated() / 2**20, 1) if on_cuda() else None


def max_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MiB (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else float("nan")


def default_out(name: str) -> Path:
    return RESULTS / f"{name}-{device_slug()}.json"


def curve_name(path: Path) -> str:
    """A run folder's name, also when given one of its rows files (`.../<curve>/superseded.jsonl`)."""
    return path.parent.name if path.suffix == ".jsonl" else path.name


def write_json(path: str | Path, data: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
