from __future__ import annotations

import pytest
import spacy

from decomp.decomposers import rules
from decomp.decomposers.rules import RuleDecomposer
from decomp.qdmr.steps import validate_references


@pytest.fixture(scope="module")
def decomposer() -> RuleDecomposer:
    return RuleDecomposer()


CASES = [
    ("Who was born first, Al-Karaji or Masatoshi Ikeda?", "comparison",
     ["when Al-Karaji was born", "when Masatoshi Ikeda was born", "which is lowest of #1 , #2"],
     ["select", "select", "comparison"]),
    ("Which side suffered more casualties, the Federales or the Americans?", "comparison",
     ["if the Federales suffered more casualties", "if the Americans suffered more casualties",
      "which is true of #1 , #2"], ["boolean", "boolean", "comparison"]),
    ("Who was the director of the film Titanic?", "bridge",
     ["the film Titanic", "the director of #1"], ["select", "project"]),
    ("Where does Leviathan's author reside?", "bridge",
     ["Leviathan", "the author of #1", "Where does #2 reside"], ["select", "project", "project"]),
    ("How many weeks did the Bengals stay at home?", "count",
     ["weeks did the Bengals stay at home", "number of #1"], ["select", "aggregate"]),
    ("How many more people lived in Tunis than Sfax?", "difference",
     ["number of people lived in Tunis", "number of people lived in Sfax", "the difference of #1 and #2"],
     ["select", "select", "arithmetic"]),
    ("How many years between the battle of Hastings and the Domesday survey?", "difference",
     ["when the battle of Hastings", "when the Domesday survey", "the difference in years of #2 and #1"],
     ["select", "select", "arithmetic"]),
    ("Who scored the longest touchdown?", "superlative",
     ["touchdown", "the longest of #1", "Who scored #2"], ["select", "aggregate", "project"]),
    ("Are Finding Kraftland and Shikashika both frozen drinks?", "boolean",
     ["if Finding Kraftland is frozen drinks", "if Shikashika is frozen drinks", "if both #1 and #2 are true"],
     ["boolean", "boolean", "boolean"]),
    ("Was the band formed in 1990?", "boolean", ["if the band formed in 1990"], ["boolean"]),
    ("Who caught the Ravens touchdown pass?", "select", ["Who caught the Ravens touchdown pass"], ["select"]),
]


@pytest.mark.parametrize(("question", "family", "texts", "operators"), CASES)
def test_each_family_gives_its_steps(decomposer, question, family, texts, operators):
    steps = decomposer.decompose([question])[0]
    assert decomposer.family(question) == family
    assert [s.text for s in steps] == texts
    assert [s.operator for s in steps] == operators
    validate_references([s.text for s in steps])
    assert all(k < i for i, s in enumerate(steps, start=1) for k in s.references)


def test_a_literal_hash_number_in_a_question_is_not_a_reference(decomposer):
    steps = decomposer.decompose(["Which song reached #1 in 1999?"])[0]
    assert steps[0].references == () and "number 1" in steps[0].text


def test_blank_pipeline_when_the_full_english_model_is_missing(monkeypatch):
    def missing(*args, **kwargs):
        raise OSError("[E050] Can't find model 'en_core_web_sm'")

    monkeypatch.setattr(spacy, "load", missing)
    nlp = rules.build_pipeline()
    assert nlp.pipe_names == ["qdmr_rules"]
    assert RuleDecomposer().family("How many yards did he run?") == "count"


def test_an_installed_pipeline_is_loaded_and_decomposes_as_the_blank_one(tmp_path, decomposer):
    # A real pipeline on disk (no mock): its own components run before the rules, which match alike.
    full = spacy.blank("en")
    full.add_pipe("sentencizer")
    full.add_pipe("attribute_ruler").add(patterns=[[{"LOWER": "the"}]], attrs={"NORM": "the"})
    full.to_disk(tmp_path / "pipeline")
    loaded = RuleDecomposer(str(tmp_path / "pipeline"))
    assert loaded.nlp.pipe_names == ["sentencizer", "attribute_ruler", "qdmr_rules"]
    questions = [question for question, *_ in CASES]
    assert [loaded.family(q) for q in questions] == [family for _, family, _, _ in CASES]
    assert loaded.decompose(questions) == decomposer.decompose(questions)
