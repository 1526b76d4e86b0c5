"""A non-editable install, run from another folder, finds its dataset cards and adaptation recipes (they are package
data) and runs a tiny curve: nothing it reads comes from the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from decomp.curves.store import read_rows
from tests.curves.conftest import TINY

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import decomp
from decomp.cli import main
from decomp.data.cards import cards_dir, load_cards
from decomp.readers.starts import find_recipe
assert decomp.__file__.startswith(sys.argv[1]), decomp.__file__  # the installed copy, not the checkout
print(cards_dir(), sorted(load_cards()))
print("recipe:", find_recipe("adapted/tiny"))
sys.exit(main(["data", "stats", "--dataset", "synthetic"]))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package installed with `pip install --target` (not editable): its site folder."""
    tmp = tmp_path_factory.mktemp("install")
    # Build from a copy: the build writes build/ and *.egg-info beside the sources it is given.
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src)
    shutil.copytree(REPO / "decomp", src / "decomp", ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(src)], check=True, cwd=tmp)
    return site


def _run_elsewhere(site: Path, tmp_path: Path, script: str) -> subprocess.CompletedProcess:
    """`script` run by the installed copy from a folder outside the checkout, offline, with a fresh cache."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECOMP_")}
    env |= {"PYTHONPATH": str(site), "DECOMP_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", script, str(site)], capture_output=True, text=True, env=env,
                          cwd=elsewhere, timeout=300)


@pytest.mark.slow
def test_an_installed_package_reads_its_cards_and_recipes_from_elsewhere(installed, tmp_path):
    out = _run_elsewhere(installed, tmp_path, CHECK)
    assert out.returncode == 0, out.stderr
    assert f"{installed / 'decomp' / 'data' / 'cards'} ['break', 'drop', 'hotpotqa', 'synthetic']" in out.stdout
    assert f"card: {installed / 'decomp' / 'data' / 'cards' / 'synthetic.yaml'}" in out.stdout
    assert f"recipe: {installed / 'decomp' / 'adapt' / 'recipes' / 'tiny.yaml'}" in out.stdout


# One fit of the random tiny-bert reader on 6 synthetic questions, scored on about 6: a row, in seconds.
CURVE = {**TINY, "name": "installed", "sizes": [6], "training_seeds": [0], "strategies": ["none"],
         "tuning": {"n_trials": 0, "space": {"lr": 1.0e-3, "batch_size": 4, "epochs": 1}}}
RUN_CURVE = """
import sys
import decomp
from decomp.cli import main
assert decomp.__file__.startswith(sys.argv[1]), decomp.__file__
sys.exit(main(["curve", "--config", "curve.yaml", "--run-dir", "run"]))
"""


@pytest.mark.slow  # ~30 s: install, tiny-bert built offline, one fit
def test_an_installed_package_runs_a_tiny_curve_from_elsewhere(installed, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "curve.yaml").write_text(yaml.safe_dump(CURVE))
    out = _run_elsewhere(installed, tmp_path, RUN_CURVE)
    assert out.returncode == 0, out.stderr
    (row,), bad = read_rows(tmp_path / "elsewhere" / "run" / "results.jsonl")
    assert bad == 0 and (row["dataset"], row["strategy"], row["reader"], row["k"]) == ("synthetic", "none",
                                                                                      "extractive", 6)
    assert row["n_eval"] == len(row["examples"]) > 0
