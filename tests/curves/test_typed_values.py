"""The same YAML gives the reader and the data module the same typed values through `decomp curve` as
through `decomp fit`: PyYAML reads `5e-1` (no dot) as a string, and both paths type it as jsonargparse does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from decomp.cli import main
from decomp.curves.config import load_config, parse_config
from decomp.curves.runner import _reader
from decomp.errors import ConfigError
from tests.curves.conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
READER_LINE = "negative_window_share: 5e-1"  # a float annotation
DATA_LINE = "eval_limit: '6'"  # an int annotation, written as a string


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_pyyaml_reads_the_lines_as_strings():
    assert yaml.safe_load(READER_LINE) == {"negative_window_share": "5e-1"}
    assert yaml.safe_load(DATA_LINE) == {"eval_limit": "6"}


def test_the_curve_path_types_reader_and_data_arguments(tmp_path):
    text = yaml.safe_dump(tiny_config(), sort_keys=False)
    text = _once(text, "    doc_stride: 16\n", f"    doc_stride: 16\n    {READER_LINE}\n")
    text = _once(text, "  eval_limit: 6\n", f"  {DATA_LINE}\n")
    path = tmp_path / "curve.yaml"
    path.write_text(text)
    config = load_config(path)
    share = config.readers["extractive"]["negative_window_share"]
    assert share == 0.5 and type(share) is float
    assert config.data["eval_limit"] == 6 and type(config.data["eval_limit"]) is int
    assert "attention_dropout" not in config.readers["extractive"]  # defaults stay the reader's own
    reader = _reader(config, config.cells()[0], {"lr": 1e-4}, seed=0)  # what the runner trains
    assert reader.negative_window_share == 0.5 and type(reader.negative_window_share) is float


def test_the_fit_path_types_the_same_lines(capsys, tmp_path):
    text = (REPO / "configs" / "synthetic" / "extractive-none.yaml").read_text()
    text = _once(text, "    doc_stride: 64\n", f"    doc_stride: 64\n    {READER_LINE}\n")
    text = _once(text, "  decompositions: gold\n", f"  decompositions: gold\n  {DATA_LINE}\n")
    path = tmp_path / "fit.yaml"
    path.write_text(text)
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(path), "--print_config"])
    assert exit_.value.code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    share = printed["model"]["init_args"]["negative_window_share"]
    assert share == 0.5 and type(share) is float
    data = printed["data"]["init_args"]  # DecompDataModule, the default data class
    assert data["eval_limit"] == 6 and type(data["eval_limit"]) is int


@pytest.mark.parametrize(("section", "value", "where"), [
    ("readers", {"extractive": {"model": "tiny-bert", "negative_window_share": "half"}},
     "readers.extractive.negative_window_share"),
    ("data", {"eval_limit": "six"}, "data.eval_limit"),
])
def test_a_value_that_cannot_be_typed_names_its_path(section, value, where):
    with pytest.raises(ConfigError, match=rf"field '{where}'"):
        parse_config(tiny_config(**{section: value}), "x.yaml")
