"""The run spec of `decomp fit` (`decomp.curves.fit_spec`): resolved from LightningCLI's parsed config, written and
read back without torch, and refused field by field when damaged (`decomp fit` writing it, and replaying it, are
tested in tests/test_lightning_cli.py)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from decomp.cli import main
from decomp.curves import signatures
from decomp.curves.config import Strategy
from decomp.curves.fit_spec import DATA_CLASS, FitSpec, config_files, fit_spec, reader_kind
from decomp.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
# A parsed `decomp fit` config as LightningCLI hands it over (as a dict), trimmed to what the spec reads.
PARSED = {
    "seed_everything": 0,
    "trainer": {"max_steps": 2, "precision": "auto", "log_every_n_steps": 5, "logger": {"class_path": "x"}},
    "model": {"class_path": "decomp.readers.ExtractiveReader",
              "init_args": {"model": "tiny-bert", "max_length": 64, "strategy": "explicit",
                            "strategy_options": {"supervision": "oracle"}}},
    "data": {"class_path": DATA_CLASS, "init_args": {"dataset": "synthetic", "synthetic": {"n": 30}}},
}


def test_a_parsed_config_resolves_to_its_reader_strategy_data_and_budget():
    spec = fit_spec(PARSED, "fit.yaml")
    assert (spec.reader, spec.reader_args) == ("extractive", {"model": "tiny-bert", "max_length": 64})
    assert spec.strategy == Strategy("explicit", {"supervision": "oracle"})
    assert spec.data == {"dataset": "synthetic", "synthetic": {"n": 30}}
    assert spec.trainer == {"max_steps": 2, "precision": "auto"} and spec.seed == 0  # what trains, not logging
    module = {**PARSED, "model": {**PARSED["model"], "class_path": "decomp.readers.extractive.ExtractiveReader"}}
    assert fit_spec(module, "fit.yaml") == spec


def test_a_config_training_no_reader_on_decomp_data_has_no_spec():
    decomposer = {**PARSED, "model": {"class_path": "decomp.decomposers.seq2seq.DecomposerModule", "init_args": {}}}
    other_data = {**PARSED, "data": {"class_path": "decomp.decomposers.data.BreakDecompositionData"}}
    assert fit_spec(decomposer, "x.yaml") is None and fit_spec(other_data, "x.yaml") is None


def test_config_files_are_the_command_lines_config_paths(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("{}")
    second.write_text("{}")
    words = ["fit", "--config", str(first), f"--config={second}", "-c", '{"inline": 1}', "--data.k", "6"]
    assert config_files(words) == [first, second]


# Reads a spec in a fresh interpreter: what it describes, and which heavy packages that imported.
READ = """
import json, sys
from decomp.curves.fit_spec import read_fit_spec
spec, record = read_fit_spec(sys.argv[1])
print(json.dumps({"spec": spec.to_dict(), "imported": [m for m in ("torch", "transformers", "lightning")
                                                     if m in sys.modules]}))
"""


def test_a_written_spec_reads_back_the_same_without_importing_torch(tmp_path):
    spec = fit_spec(PARSED, "fit.yaml")
    (tmp_path / "fit_spec.json").write_text(json.dumps({"spec": spec.to_dict(), "reader_version": 2}))
    proc = subprocess.run([sys.executable, "-c", READ, str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result == {"spec": spec.to_dict(), "imported": []}
    assert FitSpec.from_dict(result["spec"], "fit_spec.json") == spec


def _damaged(path: tuple[str, ...], value: object) -> dict:
    spec = copy.deepcopy(fit_spec(PARSED, "fit.yaml").to_dict())
    *parents, key = path
    target = spec
    for parent in parents:
        target = target[parent]
    target[key] = value
    return spec


@pytest.mark.parametrize(("path", "value", "message"), [
    (("spec_version",), 0, "field 'spec.spec_version': is 0; this code reads spec_version 1"),
    (("reader", "kind"), "extractiv", "field 'spec.reader.kind': unknown reader 'extractiv'; did you mean 'extr"),
    (("reader", "args", "doc_strid"), 1, "field 'spec.reader.args.doc_strid': unknown key; did you mean 'doc_s"),
    (("strategy", "name"), "bogus", "field 'spec.strategy.name': unknown strategy 'bogus'"),
    (("data", "eval_limit"), "six", "field 'spec.data.eval_limit': "),
    (("trainer", "max_step"), 3, "field 'spec.trainer.max_step': not a trainer option .*did you mean 'max_steps'"),
    (("seed_everything",), "zero", "field 'spec.seed_everything': expected an integer"),
], ids=["version", "reader-kind", "reader-arg", "strategy", "data", "trainer", "seed"])
def test_a_damaged_spec_is_refused_naming_its_field(path, value, message):
    with pytest.raises(ConfigError, match=rf"^fit spec run/fit_spec.json: {message}"):
        FitSpec.from_dict(_damaged(path, value), "run/fit_spec.json")


def test_refit_refuses_a_damaged_spec_before_fitting(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "fit_spec.json").write_text(json.dumps({"spec": _damaged(("strategy", "name"), "bogus")}))
    assert main(["refit", str(tmp_path / "run"), "--out", str(tmp_path / "again")]) == 2
    assert "field 'spec.strategy.name': unknown strategy 'bogus'" in capsys.readouterr().err
    assert not (tmp_path / "again").exists()


def test_a_reader_whose_source_cannot_be_read_is_named_by_the_registry(monkeypatch):
    def unreadable():
        raise signatures.Unreadable("a plug-in without source")

    monkeypatch.setattr(signatures, "reader_sources", unreadable)
    assert reader_kind("decomp.readers.ExtractiveReader") == reader_kind(
        "decomp.readers.extractive.ExtractiveReader") == "extractive"
    assert reader_kind("decomp.decomposers.seq2seq.DecomposerModule") is None
