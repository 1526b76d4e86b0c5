"""The same YAML gives the reader and the data module the same typed values through `decomp curve` as
through `decomp fit`: PyYAML reads `5e-1` (no dot) as a string, and both paths type it as jsonargparse does. The
same mistake in a reader or data argument is refused in the same words by both (one checker, `decomp.curves.config`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from decomp.cli import main
from decomp.curves.config import load_config, parse_config
from decomp.curves.fit_spec import fit_spec
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
    spec = fit_spec(printed, str(path))  # the run spec `decomp fit` resolves the parsed config into
    share, limit = spec.reader_args["negative_window_share"], spec.data["eval_limit"]
    assert share == 0.5 and type(share) is float and limit == 6 and type(limit) is int


@pytest.mark.parametrize(("section", "value", "where"), [
    ("readers", {"extractive": {"model": "tiny-bert", "negative_window_share": "half"}},
     "readers.extractive.negative_window_share"),
    ("data", {"eval_limit": "six"}, "data.eval_limit"),
])
def test_a_value_that_cannot_be_typed_names_its_path(section, value, where):
    with pytest.raises(ConfigError, match=rf"field '{where}'"):
        parse_config(tiny_config(**{section: value}), "x.yaml")


FIT_CONFIG = REPO / "configs" / "synthetic" / "extractive-explicit.yaml"
READER = tiny_config()["readers"]["extractive"]
DATA = tiny_config()["data"]
# id: (the curve config's sections, the fit config's reader and data arguments, the field each error names)
MISTAKES = {
    "reader-key": ({"readers": {"extractive": {**READER, "doc_strid": 1}}}, {"doc_strid": 1}, {},
                   "readers.extractive.doc_strid", "model.init_args.doc_strid"),
    "reader-value": ({"readers": {"extractive": {**READER, "negative_window_share": "half"}}},
                     {"negative_window_share": "half"}, {}, "readers.extractive.negative_window_share",
                     "model.init_args.negative_window_share"),
    "data-key": ({"data": {**DATA, "eval_limt": 6}}, {}, {"eval_limt": 6}, "data.eval_limt", "data.eval_limt"),
    "data-value": ({"data": {**DATA, "eval_limit": "six"}}, {}, {"eval_limit": "six"}, "data.eval_limit",
                   "data.eval_limit"),
    "protocol": ({"data": {**DATA, "protocol": "held-out"}}, {}, {"protocol": "held-out"}, "data.protocol",
                 "data.protocol"),
    "strategy": ({"strategies": ["bogus"]}, {"strategy": "bogus"}, {}, "strategies[0]", "model.init_args.strategy"),
    "strategy-options": ({"strategies": [{"name": "explicit", "options": {"supervision": "psychic"}}]},
                         {"strategy_options": {"supervision": "psychic"}}, {}, "strategies[0].options",
                         "model.init_args.strategy_options"),
    "strategy-meets-data": ({"data": {**DATA, "protocol": "deployed"}, "strategies": ["explicit"]}, {},
                            {"protocol": "deployed"}, "strategies[0]", "model.init_args.strategy"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_same_mistake_is_refused_in_the_same_words_by_curve_and_fit(mistake, tmp_path, capsys):
    curve, reader_args, data_args, curve_field, fit_field = MISTAKES[mistake]
    fit = yaml.safe_load(FIT_CONFIG.read_text())
    fit["model"]["init_args"].update(reader_args)
    fit["data"].update(data_args)
    curve_path, fit_path, run = tmp_path / "curve.yaml", tmp_path / "fit.yaml", tmp_path / "run"
    curve_path.write_text(yaml.safe_dump(tiny_config(**curve)))
    fit_path.write_text(yaml.safe_dump(fit))
    with pytest.raises(ConfigError) as curve_error:
        load_config(curve_path)
    prefix = f"curve config {curve_path}: field '{curve_field}': "
    assert str(curve_error.value).startswith(prefix)
    assert main(["fit", "--config", str(fit_path), "--trainer.logger.init_args.save_dir", str(run)]) == 2
    detail = str(curve_error.value).removeprefix(prefix).split(" valid: ")[0]  # fit's valid keys: lr, seed, ...
    assert f"decomp: error: fit config {fit_path}: field '{fit_field}': {detail}" in capsys.readouterr().err
    assert not run.exists()
