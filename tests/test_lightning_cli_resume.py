"""`decomp fit` killed (SIGKILL) mid-epoch with the shipped checkpoint defaults resumes with `--ckpt_path last`
to the weights of an uninterrupted run; `--ckpt_path last` without a checkpoint is an error; earlier logs stay;
an unwritable save_dir is a one-line error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from decomp.cli import main
from decomp.lightning_cli import CHECKPOINT_EVERY_N_STEPS
from tests.test_lightning_cli import in_tmp, tiny  # noqa: F401  (in_tmp: a fixture)

REPO = Path(__file__).resolve().parents[1]
STOP_AT = CHECKPOINT_EVERY_N_STEPS + 3  # after the first periodic checkpoint, before the next one
MAX_STEPS = CHECKPOINT_EVERY_N_STEPS + 6
# No checkpoint option: the committed config's and the CLI's defaults decide when last.ckpt is written.
# 200 synthetic questions: epochs of a few dozen steps, so the periodic checkpoint lands mid-epoch.
ARGS = tiny("extractive", "none", "--data.synthetic", '{"n": 200, "n_deployed": 10}',
            "--trainer.max_steps", str(MAX_STEPS), "--trainer.max_epochs", "-1", "--trainer.precision", "32-true",
            "--model.init_args.max_length", "64", "--model.init_args.doc_stride", "16")  # cheaper steps on a CPU

# `decomp fit` in a process that stops itself (SIGSTOP) before training step STOP_AT + 1; the test kills it there.
LAUNCH = """
import os, signal, sys
from decomp.cli import main
from decomp.lightning_cli import RefuseOverwrite
def stop(self, trainer, module, batch, batch_idx):
    if trainer.global_step == int(os.environ["STOP_AT"]):
        os.kill(os.getpid(), signal.SIGSTOP)
RefuseOverwrite.on_train_batch_start = stop
sys.exit(main(sys.argv[1:]))
"""


def fit(save_dir: Path, *extra: str) -> int:
    return main(["fit", *ARGS, "--trainer.logger.init_args.save_dir", str(save_dir), *extra])


def fit_killed_at(save_dir: Path, step: int) -> None:
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, "fit", *ARGS, "--trainer.logger.init_args.save_dir",
                             str(save_dir)], cwd=REPO, env={**os.environ, "STOP_AT": str(step)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), f"fit ended before step {step}: {proc.stderr.read().decode()[-2000:]}"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()


@pytest.mark.slow
def test_fit_killed_mid_epoch_resumes_from_its_periodic_checkpoint_to_the_same_weights(in_tmp):  # noqa: F811
    assert fit(in_tmp / "straight") == 0
    fit_killed_at(in_tmp / "killed", STOP_AT)
    ckpt = in_tmp / "killed" / "checkpoints" / "last.ckpt"
    periodic = torch.load(ckpt, weights_only=False)
    assert periodic["global_step"] == CHECKPOINT_EVERY_N_STEPS
    progress = periodic["loops"]["fit_loop"]["epoch_loop.batch_progress"]
    assert 0 < progress["current"]["completed"] and not progress["is_last_batch"]  # mid-epoch
    assert [p.name for p in ckpt.parent.iterdir()] == ["last.ckpt"]  # nothing partial beside it
    earlier_logs = (in_tmp / "killed" / "metrics.csv").read_text()
    assert fit(in_tmp / "killed", "--ckpt_path", "last") == 0
    assert (in_tmp / "killed" / "metrics-1.csv").read_text() == earlier_logs  # the killed run's log is kept
    straight = torch.load(in_tmp / "straight" / "checkpoints" / "last.ckpt", weights_only=False)
    resumed = torch.load(ckpt, weights_only=False)
    assert straight["global_step"] == resumed["global_step"] == MAX_STEPS
    assert straight["state_dict"].keys() == resumed["state_dict"].keys()
    for name, weight in straight["state_dict"].items():
        assert torch.equal(weight, resumed["state_dict"][name]), name


def test_resume_without_a_checkpoint_is_an_error_unless_asked_to_start_fresh(in_tmp, capsys):  # noqa: F811
    run = in_tmp / "never-trained"
    assert main(["fit", *tiny("extractive", "none"), "--trainer.logger.init_args.save_dir", str(run),
                 "--ckpt_path", "last"]) == 2
    err = capsys.readouterr().err
    assert f"decomp: error: --ckpt_path last: the run folder {run} holds no checkpoint" in err
    assert "--start_fresh true" in err and not (run / "checkpoints").exists()
    assert main(["fit", *tiny("extractive", "none"), "--trainer.logger.init_args.save_dir", str(run),
                 "--ckpt_path", "last", "--start_fresh", "true"]) == 0
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 1


def test_fit_into_an_unwritable_save_dir_is_a_one_line_error(in_tmp, capsys):  # noqa: F811
    (in_tmp / "afile").write_text("")
    run = in_tmp / "afile" / "run"
    assert main(["fit", *tiny("extractive", "none"), "--trainer.logger.init_args.save_dir", str(run)]) == 2
    err = capsys.readouterr().err
    assert f"decomp: error: cannot write to the run folder {run}: Not a directory" in err and "Traceback" not in err
