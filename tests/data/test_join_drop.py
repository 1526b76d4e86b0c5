import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from decomp.data.join_drop import (
    AMBIGUOUS,
    BAD_ID,
    MATCHED,
    NO_QUERY,
    NO_QUESTION,
    NO_SECTION,
    NOT_ON_PASSAGE,
    break_file_label,
    join_break_drop,
    join_by_ids,
    join_by_question,
    parse_break_drop_id,
    passage_disjoint,
)
from decomp.data.schema import Answer
from decomp.data.sources.break_ import load_break
from decomp.data.sources.drop import load_drop_json, load_drop_simple_evals, passage_key

BREAK_FILES = ("QDMR-high-level/dev", "QDMR-high-level/test", "QDMR/dev", "QDMR/test",
               "logical-forms/dev", "logical-forms/test")
OFFICIAL = Path(__file__).parent / "fixtures" / "drop" / "official_dev_sample.json"
HISTORY_10 = "DROP_dev_history_10_778cc4f0-4264-4780-9a05-571746de447d"


@pytest.fixture(scope="session")
def simple_evals(data_dir):
    return load_drop_simple_evals(data_dir / "raw" / "drop" / "simple-evals" / "drop_v0_dev.jsonl.gz")


@pytest.fixture(scope="session")
def real_joins(data_dir, simple_evals):
    """Each BREAK file joined on first use (the real files hold a few malformed QDMRs: lenient)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            table = load_break(data_dir / "raw" / "break" / f"{name}.csv", lenient=True)
            cache[name] = join_break_drop(table, simple_evals)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def derived_join(data_dir):
    with open(data_dir / "derived" / "break_drop_dev_join.csv", newline="") as f:
        return list(csv.DictReader(f))


# ---- ids ------------------------------------------------------------------------------------------

def test_parse_break_drop_id():
    assert parse_break_drop_id(HISTORY_10) == ("history_10", "778cc4f0-4264-4780-9a05-571746de447d")
    assert parse_break_drop_id("DROP_train_nfl_2034_a_b") == ("nfl_2034", "a_b")
    for bad in ("DROP_dev_nfl", "HOTPOT_dev_5a70f0e75542994082a3e408_x_y"):
        with pytest.raises(ValueError):
            parse_break_drop_id(bad)


def test_break_file_label():
    assert break_file_label("/x/raw/break/QDMR-high-level/dev.csv") == "QDMR-high-level/dev"
    assert break_file_label("break_data/QDMR/validation") == "QDMR/validation"


# ---- real files -----------------------------------------------------------------------------------

def test_high_level_dev_join(real_joins):
    join = real_joins("QDMR-high-level/dev")
    report = join.report
    assert (report.break_file, report.total, report.joined) == ("QDMR-high-level/dev", 1273, 1272)
    assert report.status == {MATCHED: 1272, AMBIGUOUS: 1}
    assert report.unjoined == ["DROP_dev_nfl_2042_c38d6005-07b1-4d14-b4dc-01a06576d5ad"]
    assert report.invalid_decompositions == 1
    by_id = {e.id: e for e in join.examples}
    assert len(by_id) == 1272 and len({e.group for e in join.examples}) == 246
    e = by_id[HISTORY_10]
    assert e.question == "Which side suffered more casualties, the Federales or the Americans?"
    assert [s.text for s in e.decomposition] == [
        "casualties of the Federales", "casualties of the Americans", "which side was more of #1 , #2"]
    assert e.group == "history_10" and e.split == "dev" and e.source == "drop"
    assert e.meta["drop_line"] == 6800 and e.meta["query_id"] == "778cc4f0-4264-4780-9a05-571746de447d"
    assert set(e.meta) == {"section_id", "query_id", "drop_line", "break_file", "answers_from"}
    # the row whose QDMR the BREAK loader rejected joins, without a decomposition
    undecomposed = [x for x in join.examples if not x.decomposition]
    assert len(undecomposed) == 1 and undecomposed[0].answers


@pytest.mark.parametrize("name", BREAK_FILES)
def test_join_agrees_with_derived_table(name, real_joins, derived_join):
    join = real_joins(name)
    expected = {r["question_id"]: (r["status"], r["drop_v0_dev_line"]) for r in derived_join
                if r["break_file"] == name}
    got = {e.id: (MATCHED, str(e.meta["drop_line"])) for e in join.examples}
    got |= {qid: (status, "") for qid, status in join.status.items() if status != MATCHED}
    assert got == expected
    assert join.report.joined == len(expected) - 1 and join.report.status[AMBIGUOUS] == 1
    if name.endswith("/test"):
        assert not any(e.decomposition for e in join.examples)
        assert {e.split for e in join.examples} == {"test"}


def test_deployed_pool_is_passage_disjoint(simple_evals, real_joins):
    dev, test = real_joins("QDMR-high-level/dev").examples, real_joins("QDMR-high-level/test").examples
    deployed = passage_disjoint(simple_evals.examples, dev, within=test)
    assert len(deployed) == 291 and sum(map(len, deployed.values())) == 4183
    lines = {e.meta["line"] for group in deployed.values() for e in group}
    assert {e.meta["drop_line"] for e in test} <= lines
    assert not set(deployed) & {passage_key(e.passage) for e in dev}
    on_dev = passage_disjoint(simple_evals.examples, test, within=dev)
    assert sum(map(len, on_dev.values())) == 4964
    assert sum(map(len, passage_disjoint(simple_evals.examples, dev).values())) == 4183 + 389


def test_join_by_ids_on_official_structure(tmp_path, data_dir, real_joins):
    """The BREAK-test rows joined via simple-evals, written back in the official layout, join by id."""
    joined = real_joins("QDMR-high-level/test").examples
    data: dict = {}
    for e in joined:
        entry = data.setdefault(e.meta["section_id"], {"passage": e.context[0].text, "qa_pairs": []})
        entry["qa_pairs"].append({"question": e.question, "query_id": e.meta["query_id"],
                                  "answer": e.answers[0].to_dict(),
                                  "validated_answers": [a.to_dict() for a in e.answers[1:]]})
    path = tmp_path / "drop_dataset_dev.json"
    path.write_text(json.dumps(data))
    table = load_break(data_dir / "raw" / "break" / "QDMR-high-level" / "test.csv")
    join = join_break_drop(table, load_drop_json(path, split="dev"))
    assert join.report.status == {MATCHED: 1283, NO_SECTION: 1}
    assert join.report.unjoined == ["DROP_dev_history_3105_f2ca30cd-32cc-4f58-b885-2c05942ded8c"]
    by_id = {e.id: e for e in join.examples}
    assert all(by_id[e.id].answers == e.answers and by_id[e.id].passage == e.passage for e in joined)
    assert all(e.meta["drop_line"] is None for e in join.examples)


# ---- fixtures: every status -----------------------------------------------------------------------

BREAK_CSV = """question_id,question_text,decomposition,operators,split
DROP_dev_s_1_qa,How many  A?,return A ;return number of #1,"['select', 'aggregate']",dev
DROP_dev_s_1_qb,How many B?,return B ;return number of #3,"['select', 'aggregate']",dev
DROP_dev_s_1_qc,Who won?,return winner,['select'],dev
CWQ_dev_x_y,What is it?,return it,['select'],dev
DROP_dev_s_2_qd,How many A?,return A ;return number of #1,"['select', 'aggregate']",dev
DROP_dev_s_3_qe,Is this anywhere?,return it,['select'],dev
DROP_dev_bad,How many A?,return A,['select'],dev
"""


@pytest.fixture
def toy(tmp_path):
    break_path = tmp_path / "QDMR-high-level" / "dev.csv"
    break_path.parent.mkdir()
    break_path.write_text(BREAK_CSV)
    lines = [("P one.", "How many A?", "1"), ("P one.", "How many  B?", "2"), ("P two.", "Who won?", "Hawks"),
             ("P three.", "How many A?", "5"), ("P one.", "How many A?", "7")]
    drop_path = tmp_path / "drop.jsonl"
    drop_path.write_text("".join(json.dumps({"context": f"Passage: {p}\nQuestion: {q}\nAnswer:",
                                             "ref_text": a}) + "\n" for p, q, a in lines))
    return load_break(break_path, lenient=True), load_drop_simple_evals(drop_path)


def test_join_by_question_statuses(toy):
    table, drop = toy
    join = join_by_question(table, drop.examples)
    assert join.status == {"DROP_dev_s_1_qa": MATCHED, "DROP_dev_s_1_qb": MATCHED,
                           "DROP_dev_s_1_qc": NOT_ON_PASSAGE, "DROP_dev_s_2_qd": AMBIGUOUS,
                           "DROP_dev_s_3_qe": NO_QUESTION, "DROP_dev_bad": BAD_ID}
    report = join.report
    assert (report.total, report.joined, report.invalid_decompositions) == (6, 2, 1)
    assert report.unjoined == ["DROP_dev_s_1_qc", "DROP_dev_s_2_qd", "DROP_dev_s_3_qe", "DROP_dev_bad"]
    qa, qb = join.examples
    # s_1 votes for "P one." (2 questions) over "P three." and "P two."; the first line of a repeat wins
    assert (qa.id, qa.meta["drop_line"], qa.answers) == ("DROP_dev_s_1_qa", 0, (Answer(number="1"),))
    assert [s.operator for s in qa.decomposition] == ["select", "aggregate"]
    assert qa.meta["break_file"] == "QDMR-high-level/dev" and qa.group == "s_1" and qa.split == "dev"
    assert qb.meta["drop_line"] == 1 and qb.decomposition == ()  # invalid QDMR: joined, undecomposed
    assert join_break_drop(table, drop).status == join.status  # no ids in simple-evals: by question


def test_join_by_ids_statuses(tmp_path):
    break_path = tmp_path / "QDMR" / "test.csv"
    break_path.parent.mkdir()
    break_path.write_text("question_id,question_text,decomposition,operators,split\n"
                          "DROP_dev_history_9001_q-date,When was the bridge built?,,,test\n"
                          "DROP_dev_history_9001_q-gone,How many?,,,test\n"
                          "DROP_dev_nfl_7_q-date,When?,,,test\n")
    join = join_by_ids(load_break(break_path), load_drop_json(OFFICIAL).examples)
    assert join.report.status == {MATCHED: 1, NO_QUERY: 1, NO_SECTION: 1}
    (e,) = join.examples
    assert e.id == "DROP_dev_history_9001_q-date" and e.group == "history_9001" and e.split == "test"
    assert e.meta == {"section_id": "history_9001", "query_id": "q-date", "drop_line": None,
                      "break_file": "QDMR/test"}


def test_passage_disjoint_excludes_by_passage_and_section():
    drop = load_drop_json(OFFICIAL).examples  # history_9001 (2 questions), nfl_9002 (1)
    assert passage_disjoint(drop, []) == {passage_key(drop[0].passage): drop[:2],
                                          passage_key(drop[2].passage): drop[2:]}
    assert list(passage_disjoint(drop, drop[:1]).values()) == [drop[2:]]
    assert passage_disjoint(drop, drop[:1], within=drop[:1]) == {}
    # same section, different passage text: still excluded
    moved = replace(drop[0], context=())
    assert list(passage_disjoint(drop, [moved]).values()) == [drop[2:]]
