"""The GPU configs of the reference study's readers and the small LMs parse as `decomp fit` / `decomp curve`
read them (nothing is downloaded: --print_config stops before any model is built)."""

from __future__ import annotations

from pathlib import Path

import pytest

from decomp.cli import main
from decomp.curves.config import load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
FIT = sorted((CONFIGS / "gpu").glob("*/*.yaml"))
CURVES = sorted((CONFIGS / "curves").glob("*-gpu-*.yaml"))
MODELS = ("t5-base", "facebook/bart-base", "allenai/unifiedqa-v2-t5-base-1363200", "google/flan-t5-base",
          "Qwen/Qwen2.5-0.5B-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct")


def test_every_reference_model_has_fit_and_curve_configs_for_both_datasets():
    for dataset in ("drop", "hotpotqa"):
        text = "".join(p.read_text() for p in FIT + CURVES if dataset in p.parts[-2] + p.name)
        assert all(f"model: {m}\n" in text for m in MODELS), dataset
        assert "class_path: decomp.readers.InContextReader" in text and "finetune: lora" in text


@pytest.mark.parametrize("path", FIT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fit_config_prints(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(path), "--print_config"])
    assert exit_.value.code == 0
    printed = capsys.readouterr().out
    assert f"dataset: {path.parent.name}" in printed and "class_path: decomp.readers." in printed


@pytest.mark.parametrize("path", CURVES, ids=lambda p: p.stem)
def test_curve_config_validates(path):
    config = load_config(path)
    assert config.dataset in path.stem and config.readers
    if "qwen" in path.stem or "smollm" in path.stem:  # the fine-tuned and in-context learners, same subsets
        assert set(config.readers) == {"causal", "causal-icl"}
