import gzip
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from decomp.data.sources.hotpotqa import (
    has_hotpot_id,
    load_hotpotqa,
    load_hotpotqa_dir,
    load_hotpotqa_file,
    merge_tables,
    question_hash_id,
)
from decomp.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "hotpotqa"
GOOD, BAD = FIXTURES / "good", FIXTURES / "bad"
A_ID = "5a0000000000000000000001"


def real_data_dir() -> Path:
    """DECOMP_DATA_DIR, else ../shared/data beside the checkout."""
    env = os.environ.get("DECOMP_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def hotpot_union():
    root = real_data_dir() / "raw" / "hotpotqa"
    if not root.is_dir():
        pytest.skip(f"real HotpotQA files not found at {root} (set DECOMP_DATA_DIR to shared/data)")
    return load_hotpotqa_dir(root)


# ---- fixture files --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt, n", [
    ("official_array.json", "official", 2), ("official_lines.jsonl", "official", 1),
    ("hf_lines.jsonl", "hf", 1), ("hf_array_noid.json", "hf", 2), ("ircot.jsonl", "ircot", 2),
])
def test_each_format_detected_and_loaded(name, fmt, n):
    table = load_hotpotqa_file(GOOD / name)
    assert (table.format, len(table.examples), table.skipped) == (fmt, n, [])
    assert all(e.source == "hotpotqa" and e.group == e.id and e.context for e in table.examples)
    assert all(e.meta["sources"] == [str(GOOD / name)] for e in table.examples)


def test_official_record_keeps_sentences_facts_and_type():
    a, b = load_hotpotqa_file(GOOD / "official_array.json").examples
    assert a.id == A_ID and a.question_type == "comparison" and a.meta["level"] == "hard"
    assert a.answers[0].spans == ("yes",) and a.answer_type == "yesno"
    assert a.context[0].title == "Scott Derrickson"
    assert a.context[0].sentences == ("Scott Derrickson is an American director.",
                                      " He lives in Los Angeles.")
    assert a.context[0].text == "Scott Derrickson is an American director. He lives in Los Angeles."
    assert a.supporting_facts == (("Scott Derrickson", 0), ("Ed Wood", 0))
    assert b.answers[0].spans == ("Tulsa",) and b.answer_type == "spans" and b.question_type == "bridge"


def test_hf_lines_and_official_array_give_the_same_record():
    hf = load_hotpotqa_file(GOOD / "hf_lines.jsonl").examples[0]
    official = load_hotpotqa_file(GOOD / "official_array.json").examples[0]
    assert hf == official  # meta is excluded from equality


def test_ircot_has_paragraph_level_support_only():
    a = load_hotpotqa_file(GOOD / "ircot.jsonl").examples[0]
    assert a.id == A_ID and a.question_type == "" and a.supporting_facts == ()
    assert all(p.sentences == () for p in a.context)
    assert a.meta["supporting_titles"] == ["Scott Derrickson", "Ed Wood"]
    assert a.answers[0].spans == ("yes",)


def test_record_without_id_gets_a_stable_question_hash():
    a, d = load_hotpotqa_file(GOOD / "hf_array_noid.json").examples
    assert a.id == question_hash_id("were  scott derrickson and ED WOOD of the same nationality? ")
    assert not has_hotpot_id(a) and d.id.startswith("qhash-") and a.id != d.id


def test_detection_reads_content_not_names(tmp_path):
    renamed = tmp_path / "data.json"  # JSON lines under a .json name
    shutil.copy(GOOD / "ircot.jsonl", renamed)
    assert load_hotpotqa_file(renamed).format == "ircot"
    zipped = tmp_path / "official"
    zipped.write_bytes(gzip.compress((GOOD / "official_array.json").read_bytes()))
    assert [e.id for e in load_hotpotqa(zipped).examples] == [A_ID, "5a0000000000000000000002"]
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + (GOOD / "hf_lines.jsonl").read_bytes())
    assert load_hotpotqa_file(bom).examples[0].id == A_ID


def test_directory_union_merges_by_id_then_question_preferring_rich_copies():
    union = load_hotpotqa_dir(GOOD)
    assert (union.rows, len(union.examples), union.duplicates, union.skipped) == (8, 4, 4, [])
    by_question = {e.question.split()[0]: e for e in union.examples}
    a = next(e for e in union.examples if e.id == A_ID)
    # A's id-less copy took the id of the same question elsewhere; the first rich copy won over IRCoT.
    assert a.meta["sources"] == ["hf_array_noid.json", "hf_lines.jsonl", "ircot.jsonl", "official_array.json"]
    assert a.meta["format"] == "hf" and a.supporting_facts and a.context[0].sentences
    b = next(e for e in union.examples if e.id == "5a0000000000000000000002")
    assert b.meta["format"] == "official" and b.meta["sources"] == ["ircot.jsonl", "official_array.json"]
    assert by_question["What"].id.startswith("qhash-")  # D exists only without an id


def test_distinct_ids_with_the_same_text_stay_apart(tmp_path):
    text = (GOOD / "hf_lines.jsonl").read_text()
    (tmp_path / "other.jsonl").write_text(text.replace(A_ID, "5a00000000000000000000ff"))
    tables = [load_hotpotqa_file(GOOD / "hf_lines.jsonl"), load_hotpotqa_file(tmp_path / "other.jsonl")]
    assert [e.id for e in merge_tables(tables).examples] == [A_ID, "5a00000000000000000000ff"]


@pytest.mark.parametrize("name, row, field, reason", [
    ("broken_line.jsonl", 2, None, "broken JSON line"),
    ("missing_question.jsonl", 2, "question", "missing"),
    ("missing_context.json", "34 (record [1])", "context", "missing"),  # the second array entry, from line 34
    ("missing_answer.jsonl", 2, "answers_objects", "missing"),
    ("unknown_schema.jsonl", 1, None, "matches no known HotpotQA schema"),
    ("broken_array.json", "63 (record [1])", None, "broken JSON array"),  # truncated on its last line
])
def test_bad_input_names_file_line_and_field(name, row, field, reason):
    with pytest.raises(DataError) as err:
        load_hotpotqa_file(BAD / name)
    assert (err.value.file, err.value.row, err.value.field) == (str(BAD / name), row, field)
    assert reason in err.value.reason and name in str(err.value)


@pytest.mark.parametrize("name, kept, skipped_row", [
    ("broken_line.jsonl", 2, 2), ("missing_question.jsonl", 1, 2), ("missing_context.json", 1, 34),
    ("missing_answer.jsonl", 1, 2),
])
def test_lenient_skips_and_counts_bad_rows(name, kept, skipped_row):
    table = load_hotpotqa_file(BAD / name, lenient=True)
    assert len(table.examples) == kept and len(table.skipped) == 1
    assert f"row {skipped_row}" in table.skipped[0]


@pytest.mark.parametrize("name", ["unknown_schema.jsonl", "broken_array.json"])
def test_lenient_still_rejects_a_file_that_is_not_hotpotqa(name):
    with pytest.raises(DataError):
        load_hotpotqa_file(BAD / name, lenient=True)


def test_hub_records_go_through_the_hf_schema(monkeypatch):
    datasets = pytest.importorskip("datasets")
    calls = []

    def fake_load_dataset(name, config, split):
        calls.append((name, config, split))
        return [{"id": A_ID, "question": "Q?", "answer": "no", "type": "comparison", "level": "hard",
                 "supporting_facts": {"title": ["T"], "sent_id": [1]},
                 "context": {"title": ["T", "U"], "sentences": [["a.", " b."], ["c."]]}}]

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    table = load_hotpotqa("hotpot_qa:distractor:train")
    assert calls == [("hotpot_qa", "distractor", "train")] and table.format == "hf"
    (ex,) = table.examples
    assert (ex.id, ex.split, ex.supporting_facts, ex.context[0].text) == (A_ID, "train", (("T", 1),), "a. b.")


# ---- the real files -------------------------------------------------------------------------------


def test_real_union_is_1676_questions_from_1900_rows(hotpot_union):
    assert (hotpot_union.rows, len(hotpot_union.examples), hotpot_union.duplicates) == (1900, 1676, 224)
    assert hotpot_union.skipped == []
    assert len({e.id for e in hotpot_union.examples}) == 1676
    assert all(has_hotpot_id(e) for e in hotpot_union.examples)  # every id-less copy found its id


def test_real_files_parse_in_their_formats(hotpot_union):
    tables = {t.label: t for t in hotpot_union.tables}
    assert {k: (t.format, len(t.examples)) for k, t in tables.items()} == {
        "ircot/dev_subsampled.jsonl": ("ircot", 500),
        "masarena/hotpotqa_validate.jsonl": ("official", 200),
        "meve/hotpot_dev_distractor_v1.json": ("hf", 100),
        "rpt/dev.jsonl": ("hf", 300), "rpt/test.jsonl": ("hf", 500), "rpt/train.jsonl": ("hf", 300),
    }
    for label, t in tables.items():
        rich = t.format != "ircot"
        for e in t.examples:
            assert e.answers and e.context and all(p.text for p in e.context)
            assert bool(e.supporting_facts) == rich and (e.question_type in ("bridge", "comparison")) == rich
            assert all(bool(p.sentences) == rich for p in e.context), label
            assert rich or e.meta["supporting_titles"]
    # AFlow renumbered four MASArena ids; the Meve file has none: both are matched by question.
    masarena = tables["masarena/hotpotqa_validate.jsonl"].examples
    assert sorted(e.meta["source_id"] for e in masarena if "source_id" in e.meta) == [37, 61, 79, 95]
    assert all(not has_hotpot_id(e) for e in tables["meve/hotpot_dev_distractor_v1.json"].examples)


def test_real_union_keeps_the_richest_copy_and_every_source(hotpot_union):
    formats = Counter(e.meta["format"] for e in hotpot_union.examples)
    assert formats == {"hf": 1150, "official": 200, "ircot": 326}  # IRCoT only where nothing else has it
    meve = [e.meta["sources"] for e in hotpot_union.examples
            if "meve/hotpot_dev_distractor_v1.json" in e.meta["sources"]]
    # Both files are the head of HotpotQA dev: every Meve question is in IRCoT, and 83 of them are in
    # no other file (SOURCES.md's "share 83").
    assert len(meve) == 100 and all("ircot/dev_subsampled.jsonl" in s for s in meve)
    assert sum(len(s) == 2 for s in meve) == 83
    assert sum(len(e.meta["sources"]) for e in hotpot_union.examples) == 1900
    for e in hotpot_union.examples:
        sentences = {p.title: p.sentences for p in e.context}
        assert all(t in sentences and 0 <= i < len(sentences[t]) for t, i in e.supporting_facts)
