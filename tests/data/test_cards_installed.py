"""A non-editable install, run from another folder, finds its dataset cards (they are package data)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import decomp
from decomp.cli import main
from decomp.data.cards import cards_dir, load_cards
assert decomp.__file__.startswith(sys.argv[1]), decomp.__file__  # the installed copy, not the checkout
print(cards_dir(), sorted(load_cards()))
sys.exit(main(["data", "stats", "--dataset", "synthetic"]))
"""


@pytest.mark.slow
def test_an_installed_package_reads_its_cards_from_elsewhere(tmp_path):
    # Build from a copy: the build writes build/ and *.egg-info beside the sources it is given.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src)
    shutil.copytree(REPO / "decomp", src / "decomp", ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(src)], check=True, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DECOMP_CARDS_DIR"}
    env |= {"PYTHONPATH": str(site), "DECOMP_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", CHECK, str(site)], capture_output=True, text=True, env=env,
                         cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    assert f"{site / 'decomp' / 'data' / 'cards'} ['break', 'drop', 'hotpotqa', 'synthetic']" in out.stdout
    assert f"card: {site / 'decomp' / 'data' / 'cards' / 'synthetic.yaml'}" in out.stdout
