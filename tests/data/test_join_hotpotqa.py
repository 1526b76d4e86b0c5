import csv
from dataclasses import replace

import pytest

from decomp.data.join_hotpotqa import deployed_set, join_hotpotqa
from decomp.data.sources.break_ import BreakRow, BreakTable, load_break
from decomp.data.sources.hotpotqa import load_hotpotqa_dir, question_hash_id
from decomp.errors import DataError
from decomp.qdmr.steps import parse_decomposition
from tests.data.test_hotpotqa import GOOD, real_data_dir

A_ID, B_ID = "5a0000000000000000000001", "5a0000000000000000000002"
STEPS = parse_decomposition("return the museum Jane Roe founded ;return the city #1 is in")


def table(*rows: BreakRow) -> BreakTable:
    return BreakTable("break.csv", list(rows), [])


def row(qid: str, question: str, n: int, steps=STEPS, invalid: str = "") -> BreakRow:
    return BreakRow(qid, question, steps, "dev", n, invalid)


@pytest.fixture(scope="module")
def small():
    return load_hotpotqa_dir(GOOD).examples


# ---- fixture files --------------------------------------------------------------------------------


def test_join_by_id_then_by_question_for_id_less_records(small):
    rows = table(
        row(f"HOTPOT_dev_{B_ID}", "Which city hosts the museum founded by Jane Roe?", 1),
        row("HOTPOT_dev_5a00000000000000000000aa", "what river flows through the capital of  Freedonia?", 2),
        row("HOTPOT_dev_5a00000000000000000000bb", "Which city hosts the museum founded by Jane Roe?", 3),
        row("HOTPOT_dev_5a00000000000000000000cc", "An unknown question?", 4),
        row("DROP_dev_history_1_x", "Not HotpotQA?", 5),
    )
    examples, report = join_hotpotqa(rows, small)
    # Row 3 has B's text but another HotpotQA id: a different question, so it does not join.
    assert (report.total, report.joined, report.unjoined, report.by_id, report.by_question) == (4, 2, 2, 1, 1)
    assert report.unjoined_ids == ["HOTPOT_dev_5a00000000000000000000bb",
                                   "HOTPOT_dev_5a00000000000000000000cc"]
    assert report.per_source == {"hf_array_noid.json": 1, "ircot.jsonl": 1, "official_array.json": 1}
    b, d = examples
    assert (b.id, b.group, b.split, b.decomposition) == (f"HOTPOT_dev_{B_ID}", B_ID, "dev", STEPS)
    assert (b.meta["hotpot_id"], b.meta["matched_by"], b.meta["break_file"]) == (B_ID, "id", "break.csv")
    assert b.meta["context_sources"] == ["ircot.jsonl", "official_array.json"] and "sources" not in b.meta
    assert b.answers[0].spans == ("Tulsa",) and b.supporting_facts and b.context[1].sentences
    assert d.meta["matched_by"] == "question" and d.meta["hotpot_id"].startswith("qhash-")


def test_invalid_decomposition_is_counted_not_joined(small):
    rows = table(row(f"HOTPOT_dev_{A_ID}", "q", 7, steps=(), invalid="step 2 refers to itself"))
    examples, report = join_hotpotqa(rows, small)
    assert examples == [] and (report.joined, report.invalid) == (1, 1)


def test_malformed_hotpot_id_names_file_row_and_field(small):
    with pytest.raises(DataError) as err:
        join_hotpotqa(table(row("HOTPOT_dev", "q", 9)), small)
    assert (err.value.file, err.value.row, err.value.field) == ("break.csv", 9, "question_id")


def test_deployed_set_excludes_the_pool_by_id_and_text(small):
    pool, _ = join_hotpotqa(table(row(f"HOTPOT_dev_{A_ID}", "q", 1)), small)
    d_copy = next(e for e in small if e.id.startswith("qhash-"))
    held = deployed_set(small, pool + [replace(d_copy, id="other")])
    assert sorted(e.id for e in held) == [B_ID, "5a0000000000000000000003"]


# ---- the real files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    root = real_data_dir()
    if not (root / "raw" / "hotpotqa").is_dir() or not (root / "raw" / "break").is_dir():
        pytest.skip(f"real BREAK/HotpotQA files not found under {root} (set DECOMP_DATA_DIR to shared/data)")
    union = load_hotpotqa_dir(root / "raw" / "hotpotqa")
    breaks = {s: load_break(root / "raw" / "break" / "QDMR-high-level" / f"{s}.csv", lenient=True)
              for s in ("dev", "test")}
    joins = {s: join_hotpotqa(t, union.examples) for s, t in breaks.items()}
    return root, union, breaks, joins


def test_real_dev_join_is_307_of_1382_with_sources_counts(real):
    _, _, breaks, joins = real
    examples, report = joins["dev"]
    assert (report.total, report.joined, report.unjoined) == (1382, 307, 1075)
    assert (report.by_id, report.by_question, report.invalid) == (307, 0, 0)
    assert report.per_source == {  # SOURCES.md: a row held by several files counts for each
        "ircot/dev_subsampled.jsonl": 97, "rpt/test.jsonl": 85, "rpt/dev.jsonl": 63, "rpt/train.jsonl": 53,
        "masarena/hotpotqa_validate.jsonl": 32, "meve/hotpot_dev_distractor_v1.json": 20}
    steps = {r.question_id: r.steps for r in breaks["dev"].for_dataset("HOTPOT")}
    assert len(examples) == 307 and all(e.decomposition and e.decomposition == steps[e.id] for e in examples)
    assert all(e.id == f"HOTPOT_dev_{e.meta['hotpot_id']}" and e.answers for e in examples)


def test_real_test_join_is_331_of_1383_without_decompositions(real):
    examples, report = real[3]["test"]
    assert (report.total, report.joined, report.unjoined) == (1383, 331, 1052)
    assert len(examples) == 331 and all(e.decomposition == () and e.split == "test" for e in examples)


def test_real_join_agrees_with_the_derived_table(real):
    root, _, _, joins = real
    with open(root / "derived" / "break_hotpotqa_dev_join.csv", newline="") as f:
        derived = list(csv.DictReader(f))
    for split in ("dev", "test"):
        expected = {r["question_id"]: r["context_sources"].split(";") for r in derived
                    if r["break_file"] == f"QDMR-high-level/{split}" and r["status"] == "matched"}
        got = {e.id: ["hotpotqa/" + s for s in e.meta["context_sources"]] for e in joins[split][0]}
        assert got == expected


def test_real_join_by_question_text_alone_gives_the_same_rows(real):
    _, union, breaks, joins = real
    anonymous = [replace(e, id=question_hash_id(e.question)) for e in union.examples]
    examples, report = join_hotpotqa(breaks["dev"], anonymous)
    assert report.by_question == 307 and {e.id for e in examples} == {e.id for e in joins["dev"][0]}


def test_real_deployed_set_is_1369_questions_beside_the_pool(real):
    _, union, _, joins = real
    pool, test = joins["dev"][0], joins["test"][0]
    held = deployed_set(union.examples, pool)
    ids = {e.id for e in held}
    assert len(held) == len(ids) == 1369
    assert not ids & {e.meta["hotpot_id"] for e in pool}
    assert {e.meta["hotpot_id"] for e in test} <= ids and len(ids) - len(test) == 1038
