"""The scoring options of `decomp decompose` / `decompose-score`: BREAK's raw rows are what is scored."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from decomp.cli import main
from decomp.decomposers.break_norm import OfficialNormalizer
from decomp.errors import ConfigError
from decomp.qdmr.steps import parse_decomposition

FIXTURE = Path(__file__).parent / "fixtures" / "break_eval_vectors.json"


@pytest.mark.slow
def test_cli_per_example_scores_equal_the_evaluators_on_fold0(data_dir, tmp_path, capsys):
    pairs = [p for p in json.loads(FIXTURE.read_text(encoding="utf-8"))["pairs"] if p["source"] == "drop"]
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"id": p["id"], "steps": [s.to_dict() for s in parse_decomposition(
        p["predicted"])]}) + "\n" for p in pairs))
    assert main(["decompose-score", "--pred", str(pred), "--gold", "drop:fold0", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["from_break_rows"] == scores["n"] and scores["missing"] == scores["n"] - len(pairs)
    assert any("double_space_question" in p["quirks"] for p in pairs)
    for p in pairs:
        row = scores["examples"][p["id"]]
        assert row["exact_match"] == p["exact_match"]
        assert row["sari"] == pytest.approx(p["sari"], abs=1e-12, rel=0), p["id"]


def test_bad_scoring_flags_fail_before_anything_is_written(tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "a", "question": "Who won?"}) + "\n")
    out = tmp_path / "pred.jsonl"
    run = ["decompose", "--input", str(questions), "--out", str(out), "--score-against-gold"]
    assert main(run + ["--ged", "--ged-timeout", "0"]) != 0
    assert "--ged-timeout must be positive" in capsys.readouterr().err
    assert main(run + ["--break-evaluator", str(tmp_path)]) != 0
    assert "not a checkout of allenai/break-evaluator" in capsys.readouterr().err
    assert not out.exists()


FAKE_DECOMPOSITION = '''
import networkx as nx

class Decomposition:
    def __init__(self, steps):
        self.steps = [str(s) for s in steps]
    def to_string(self):
        return " @@SEP@@ ".join(s.strip() for s in self.steps)
    def to_graph(self):
        g = nx.DiGraph()
        for i, s in enumerate(self.steps, start=1):
            g.add_node(i, label=s)
        return g
    @staticmethod
    def from_graph(g):
        return Decomposition([g.nodes[i + 1]["label"] for i in range(g.number_of_nodes())])
'''
FAKE_MATCHER = '''
class NormalizedGraphMatchScorer:
    def normalize_graph(self, graph):
        if any("boom" in graph.nodes[n]["label"] for n in graph.nodes):
            raise ValueError("parser failure")
        graph = graph.copy()
        for n in graph.nodes:
            graph.nodes[n]["label"] = graph.nodes[n]["label"].upper()
        if any("gap" in graph.nodes[n]["label"].lower() for n in graph.nodes):
            graph.add_node(9, label="")
        return graph
'''


def test_official_normalizer_runs_the_users_checkout(tmp_path, monkeypatch):
    """The plumbing around the evaluator's normaliser (a stand-in checkout; the real one needs en_core_web_sm)."""
    import spacy

    with pytest.raises(ConfigError, match="en_core_web_sm"):
        (tmp_path / "evaluation" / "normal_form").mkdir(parents=True)
        (tmp_path / "evaluation" / "normal_form" / "normalized_graph_matcher.py").write_text(FAKE_MATCHER)
        OfficialNormalizer(tmp_path)
    (tmp_path / "evaluation" / "decomposition.py").write_text(FAKE_DECOMPOSITION)
    monkeypatch.setattr(spacy, "load", lambda name, **kw: object())
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [m for m in sys.modules if m == "evaluation" or m.startswith("evaluation.")]:
        monkeypatch.delitem(sys.modules, name)
    try:
        normal = OfficialNormalizer(tmp_path).normal_string
        assert normal("return a ;return b of #1") == "A @@SEP@@ B OF @@1@@"
        assert normal("return boom ;return b") == "boom @@SEP@@ b"  # normalising failed: the raw graph
        assert normal("return gap") is None  # rendering failed: dropped, counted in norm_failed
    finally:
        for name in [m for m in sys.modules if m == "evaluation" or m.startswith("evaluation.")]:
            del sys.modules[name]
