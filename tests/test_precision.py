"""`precision: auto` and threads per worker: resolved from the machine, in `decomp fit` and in curve runs."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
import torch

from decomp import lightning_cli, precision
from decomp.curves import runner
from decomp.errors import ConfigError
from decomp.lightning_cli import DecompCLI
from decomp.precision import cpu_flags, cpu_has_bf16, resolve_precision, worker_threads
from tests.test_lightning_cli import tiny

CPUINFO = "processor\t: 0\nflags\t\t: fpu sse2 avx2 {extra}\nbogomips\t: 4890\n"


@pytest.fixture
def cpu(monkeypatch):
    """Pretend the CPU has (True) or lacks (False) bf16 instructions, with no GPU."""
    def set_bf16(flag: bool) -> None:
        monkeypatch.setattr(precision, "cpu_has_bf16", lambda: flag)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    return set_bf16


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.format(extra="avx512_bf16"))
    assert {"avx2", "avx512_bf16"} <= cpu_flags(path) and cpu_has_bf16(path)
    path.write_text(CPUINFO.format(extra="amx_bf16 amx_tile"))
    assert cpu_has_bf16(path)
    path.write_text(CPUINFO.format(extra="avx512f avx512bw"))  # AVX-512 without bf16: emulated, slower
    assert not cpu_has_bf16(path)


def test_auto_picks_bf16_only_where_the_processor_has_it(cpu, monkeypatch):
    cpu(True)
    assert resolve_precision("auto") == resolve_precision("AUTO", "cpu") == "bf16-mixed"
    cpu(False)
    assert resolve_precision("auto") == "32-true"
    assert resolve_precision("auto", "mps") == "32-true"
    for value in ("16-mixed", "bf16-mixed", "32-true", 32, None):  # Lightning's own values pass through
        assert resolve_precision(value) == value
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for bf16, expected in ((True, "bf16-mixed"), (False, "32-true")):
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda bf16=bf16: bf16)
        assert resolve_precision("auto") == resolve_precision("auto", "gpu") == expected
    cpu(True)
    assert resolve_precision("auto", "cpu") == "bf16-mixed"  # an explicit CPU run on a GPU machine


@pytest.mark.parametrize(("flag", "expected"), [(True, "bf16-mixed"), (False, "32-true")])
def test_decomp_fit_takes_precision_auto(flag, expected, cpu, monkeypatch):
    cpu(flag)
    monkeypatch.setattr(lightning_cli, "DecompCLI", functools.partial(DecompCLI, run=False))
    cli = lightning_cli.run_lightning_cli(tiny("extractive", "none", "--trainer.precision", "auto"))
    assert cli.trainer.precision == expected
    assert lightning_cli.run_lightning_cli(tiny("extractive", "none")).trainer.precision == expected  # default
    cli = lightning_cli.run_lightning_cli(tiny("extractive", "none", "--trainer.precision", "32-true"))
    assert cli.trainer.precision == "32-true"


def test_curve_trainer_resolves_auto(cpu):
    cpu(True)
    config = SimpleNamespace(trainer={"precision": "auto", "accelerator": "cpu"})
    assert runner._trainer(config, 1, []).precision == "bf16-mixed"
    cpu(False)
    assert runner._trainer(SimpleNamespace(trainer={}), 1, []).precision == "32-true"  # auto is the default


def test_threads_share_the_cores_unless_set(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(precision, "available_cores", lambda: 8)
    assert worker_threads() == 8 and worker_threads(2) == 4 and worker_threads(3) == 2 and worker_threads(16) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert worker_threads(2) == 3  # the user's setting wins
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    with pytest.raises(ConfigError, match="OMP_NUM_THREADS"):
        worker_threads()
