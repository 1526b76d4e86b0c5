from __future__ import annotations

from pathlib import Path

import pytest

from decomp.curves.config import load_config, parse_config
from decomp.errors import ConfigError
from tests.curves.conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]


def test_shipped_configs_parse():
    for path in sorted((REPO / "configs" / "curves").glob("*.yaml")):
        config = load_config(path)
        cells = config.cells()
        assert len(cells) == len(config.readers) * len(config.strategies) * len(config.sizes) * len(
            config.folds) * len(config.subset_seeds)
        assert len({c.key for c in cells}) == len(cells)


def test_unknown_strategy_names_the_field():
    with pytest.raises(ConfigError, match=r"strategies\[1\].*unknown strategy 'telepathy'"):
        parse_config(tiny_config(strategies=["none", "telepathy"]), "x.yaml")


def test_bad_strategy_options_name_the_field():
    with pytest.raises(ConfigError, match=r"strategies\[0\]\.options"):
        parse_config(tiny_config(strategies=[{"name": "explicit", "options": {"supervision": "psychic"}}]))


@pytest.mark.parametrize(("change", "field"), [
    ({"sizes": [0]}, "sizes"),
    ({"data": {"k": 5}}, "data.k"),
    ({"readers": {"abstractive": {}}}, "readers.abstractive"),
    ({"tuning": {"space": {"lr": 1e-4, "batch_size": 8}}}, "tuning.space"),
    ({"tuning": {"space": {"lr": {"low": 0, "high": 1, "log": True}, "batch_size": 8, "epochs": 1}}},
     "tuning.space.lr"),
    ({"tuning": {"metric": "loss", "space": {"lr": 1e-4, "batch_size": 8, "epochs": 1}}}, "tuning.metric"),
    ({"budget": {"min_steps": -1}}, "budget.min_steps"),
    ({"epochs": 3}, "epochs"),
    ({"tuning": {"n_trials": 0, "space": {"lr": {"low": 1e-4, "high": 1e-3}, "batch_size": 8, "epochs": 1}}},
     "tuning.n_trials"),
])
def test_bad_fields_are_named(change, field):
    with pytest.raises(ConfigError, match=f"field '{field}'"):
        parse_config(tiny_config(**change), "curve.yaml")


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "bad.yaml")
