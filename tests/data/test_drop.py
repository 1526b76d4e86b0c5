import gzip
import json
import sys
import types
from pathlib import Path

import pytest

from decomp.data.schema import Answer, Date
from decomp.data.sources.drop import (
    SIMPLE_EVALS_ANSWERS,
    answer_from_string,
    date_from_rendering,
    load_drop,
    load_drop_hub,
    load_drop_json,
    load_drop_simple_evals,
    load_successive_prompting,
    passage_key,
    split_joined_spans,
)
from decomp.errors import DataError

OFFICIAL = Path(__file__).parent / "fixtures" / "drop" / "official_dev_sample.json"
SIMPLE_EVALS = "raw/drop/simple-evals/drop_v0_dev.jsonl.gz"
SP = "raw/drop/successive-prompting/drop_dataset_train_300_annotations.json"


@pytest.fixture(scope="session")
def simple_evals(data_dir):
    return load_drop_simple_evals(data_dir / SIMPLE_EVALS)


@pytest.fixture(scope="session")
def successive(data_dir):
    return load_successive_prompting(data_dir / SP)


def _line(context: str = "Passage: The Hawks won 2 games.\nQuestion: How many games?\nAnswer:",
          ref_text: str = "2") -> str:
    return json.dumps({"context": context, "completion": " " + ref_text.split("|")[0], "ref_text": ref_text})


# ---- answer-type inference ------------------------------------------------------------------------

def test_date_renderings_keep_their_empty_parts():
    assert date_from_rendering("30 September 1686") == Date("30", "September", "1686")
    assert date_from_rendering(" August 1563") == Date("", "August", "1563")
    assert date_from_rendering(" May ") == Date("", "May", "")
    assert date_from_rendering("  1946") == Date("", "", "1946")
    # no padding means no date rendering: these are spans
    for text in ("March", "March 2016", "1946", "the October Manifesto", "  "):
        assert date_from_rendering(text) is None


def test_joined_spans_are_split_only_where_evidenced():
    evidence = "the pakistanis and the filipinos came from bosnia and herzegovina; croats too."
    assert split_joined_spans("Pakistanis and Filipinos", evidence) == ("Pakistanis", "Filipinos")
    # the fewest evidenced parts: a name containing "and" stays whole
    assert split_joined_spans("Bosnia and Herzegovina and Croats", evidence) == (
        "Bosnia and Herzegovina", "Croats")
    assert split_joined_spans("pakistanis and the filipinos", evidence) == ("pakistanis and the filipinos",)
    assert split_joined_spans("Pakistanis and Serbs", evidence) == ("Pakistanis and Serbs",)


def test_answer_from_string_types():
    assert answer_from_string("-73.2", "").type == "number"
    assert answer_from_string(".52", "").number == ".52"
    assert answer_from_string("34-yard", "").spans == ("34-yard",)
    assert answer_from_string("  1946", "").date == Date(year="1946")


def test_simple_evals_real_rows(simple_evals):
    ex = simple_evals.examples
    assert len(ex) == 9536 and not simple_evals.skipped
    assert len({e.group for e in ex}) == 579
    # a number with a validated alternative
    assert [a.number for a in ex[2].answers] == ["50.6", "49.7"]
    # dates, full and partial
    assert ex[37].answers[0].date == Date("30", "September", "1686")
    assert ex[604].answers == (Answer(date=Date("", "August", "1563")),)
    assert ex[52].answers == (Answer(number="1946"), Answer(date=Date(year="1946")))  # "1946|  1946"
    # multi-span: each part is in the passage, the whole is not
    assert ex[0].answers[0].spans == ("under the age of 18", "25 to 44", "45 to 64")
    assert ex[1].answers[0].spans == ("Pakistanis", "Filipinos")
    # the whole occurs in the passage: one span
    assert Answer.span("Malaysia and Indonesia") in ex[1390].answers


def test_simple_evals_record_shape(simple_evals):
    e = simple_evals.examples[1984]
    assert e.id == "drop-simple-evals-1984" and e.source == "drop" and e.split == ""
    assert e.question == "How many percent were not Scottish?"  # doubled space normalised
    assert len(e.context) == 1 and e.context[0].title == ""
    assert "  " not in e.context[0].text and not e.context[0].text.startswith("Passage:")
    assert e.group == passage_key(e.context[0].text)
    assert e.meta == {"line": 1984, "answers_from": SIMPLE_EVALS_ANSWERS}
    assert e.answers == (Answer(number="81.1"),)


def test_passage_key_ignores_whitespace():
    assert passage_key("a  b\nc") == passage_key("a b c") != passage_key("a b d")


# ---- official JSON --------------------------------------------------------------------------------

def test_official_json_fixture():
    load = load_drop_json(OFFICIAL, split="dev")
    assert not load.skipped
    by_id = {e.id: e for e in load.examples}
    assert list(by_id) == ["q-number", "q-date", "q-spans"]
    number = by_id["q-number"]
    # the duplicate validated answer is dropped, the distinct one kept after the primary
    assert number.answers == (Answer(number="2200"), Answer(number="2,200"))
    assert number.question == "How many more people lived in Eastmere after the bridge?"
    assert number.group == "history_9001" and number.split == "dev"
    assert number.meta == {"section_id": "history_9001", "query_id": "q-number"}
    assert "\n" not in number.context[0].text
    assert by_id["q-date"].answers[0].date == Date("12", "March", "1820")
    assert by_id["q-spans"].answers[0].spans == ("30-yard", "45-yard")
    assert by_id["q-spans"].group == "nfl_9002"
    assert load_drop(OFFICIAL, split="dev").examples == load.examples


def _official(tmp_path, data) -> Path:
    path = tmp_path / "drop_dataset_dev.json"
    path.write_text(json.dumps(data))
    return path


def _qa(query_id: str, question: str = "How many?", number: str = "3") -> dict:
    return {"question": question, "query_id": query_id,
            "answer": {"number": number, "date": {"day": "", "month": "", "year": ""}, "spans": []}}


def test_official_json_errors_name_section_and_field(tmp_path):
    only_validated = {"question": "How many?", "query_id": "f", "validated_answers": [_qa("x")["answer"]]}
    data = {"s_1": {"passage": "", "qa_pairs": [_qa("a"), _qa("b")]},
            "s_2": {"passage": "Text.", "qa_pairs": [_qa("c", question=" "), _qa("d", number=""), _qa("e"),
                                                     only_validated]}}
    path = _official(tmp_path, data)
    with pytest.raises(DataError) as err:
        load_drop_json(path)
    assert (err.value.file, err.value.row, err.value.field) == (str(path), "s_1/qa_pairs[0]", "passage")
    load = load_drop_json(path, lenient=True)
    assert [e.id for e in load.examples] == ["e", "f"]
    assert load.examples[1].answers == (Answer(number="3"),)
    assert len(load.skipped) == 4
    assert "s_2/qa_pairs[0], field 'question'" in load.skipped[2]
    assert "s_2/qa_pairs[1], field 'answer': empty answer" in load.skipped[3]


def test_official_json_broken_file_is_fatal_even_lenient(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"s_1": {\n  "passage": "x",\n  "qa_pairs": [,]}}')
    with pytest.raises(DataError) as err:
        load_drop_json(path, lenient=True)
    assert err.value.file == str(path) and err.value.row == 3 and "invalid JSON" in str(err.value)


# ---- simple-evals malformed lines -----------------------------------------------------------------

def test_simple_evals_malformed_lines(tmp_path):
    lines = [_line(), '{"context": "Passage: x', _line(context="Passage: P.\nQuestion: \nAnswer:"),
             _line(ref_text=""), _line(context="no passage here"), _line(ref_text="4|5")]
    path = tmp_path / "drop.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n\n")  # a trailing blank line is no record
    with pytest.raises(DataError) as err:
        load_drop_simple_evals(path)
    assert (err.value.file, err.value.row) == (str(path), 2)
    load = load_drop(path, lenient=True)
    assert [e.id for e in load.examples] == ["drop-simple-evals-0", "drop-simple-evals-5"]
    assert load.examples[1].answers == (Answer(number="4"), Answer(number="5"))
    assert len(load.skipped) == 4
    expected = ["row 2: invalid JSON", "row 3, field 'context': no 'Question", "row 4, field 'ref_text'",
                "row 5, field 'context': no 'Passage"]
    for message, part in zip(load.skipped, expected, strict=True):
        assert message.startswith(str(path)) and part in message


# ---- hub ------------------------------------------------------------------------------------------

def test_hub_loader_maps_answers_spans(monkeypatch):
    rows = [
        {"section_id": "nfl_1", "query_id": "q1", "passage": "P  one.", "question": "Who?",
         "answers_spans": {"spans": ["Bo", "Al", "Bo"], "types": ["span", "span", "span"]}},
        {"section_id": "nfl_1", "query_id": "q2", "passage": "P one.", "question": "When?",
         "answers_spans": {"spans": ["August 1563", "1946"], "types": ["date", "date"]}},
        {"section_id": "nfl_2", "query_id": "q3", "passage": "P two.", "question": "How many?",
         "answers_spans": {"spans": [], "types": []}},
    ]
    calls = []
    fake = types.SimpleNamespace(load_dataset=lambda name, split: calls.append((name, split)) or rows)
    monkeypatch.setitem(sys.modules, "datasets", fake)
    with pytest.raises(DataError, match="ucinlp/drop:validation, row 3, field 'answers_spans'"):
        load_drop_hub()
    load = load_drop("ucinlp/drop:validation", lenient=True)
    assert calls == [("ucinlp/drop", "validation")] * 2 and len(load.skipped) == 1
    q1, q2 = load.examples
    assert q1.answers == (Answer.span("Bo"), Answer.span("Al")) and q1.group == "nfl_1"
    assert q1.context[0].text == "P one." and q1.meta["query_id"] == "q1"
    assert [a.date for a in q2.answers] == [Date("", "August", "1563"), Date("", "", "1946")]


# ---- Successive Prompting -------------------------------------------------------------------------

def test_successive_prompting_real_file(successive):
    ex = successive.examples
    assert len(ex) == 299 and not successive.skipped
    assert len({e.group for e in ex}) == 240 and {e.split for e in ex} == {"train"}
    assert all(e.decomposition and len(e.sub_answers) == len(e.decomposition) for e in ex)
    first = ex[0]
    assert first.id == "e4484b02-b56e-460b-a4a2-a0d56422c658" and first.group == "history_1847"
    assert first.question_type == "comparison"
    assert [s.operator for s in first.decomposition] == ["none", "none", "comparison"]
    assert first.decomposition[2].text == "if_then(3.9 > 1; transit; cycling)"
    assert first.sub_answers == (Answer(number="3.9"), Answer(number="1"), Answer.span("transit"))
    assert first.meta["decomposition_text"][0] == "3.9% of dallas commuters were riding transit in 2009"
    ops = {s.text.split("(")[0]: s.operator for e in ex for s in e.decomposition if "(" in s.text}
    assert ops["count"] == "aggregate" and ops["diff"] == "arithmetic" and ops["top"] == "superlative"
    listed = [a for e in ex for a in e.sub_answers if a and a.spans[:1] == ("8-yard",)]
    assert listed and listed[0].spans == ("8-yard", "4-yard", "10-yard", "28-yard")  # "|||"-joined


def test_successive_prompting_requires_decomp_qas(tmp_path):
    qa = _qa("a") | {"decomp_qas": [["How many?"]]}
    path = _official(tmp_path, {"s_1": {"passage": "Text.", "qa_pairs": [qa, _qa("b")]}})
    with pytest.raises(DataError) as err:
        load_successive_prompting(path)
    assert (err.value.row, err.value.field) == ("s_1/qa_pairs[0]", "decomp_qas")
    load = load_successive_prompting(path, lenient=True)
    assert load.examples == [] and len(load.skipped) == 2
    assert "missing or empty decomp_qas" in load.skipped[1]
