"""The official-layout fixtures (made by make_official_fixtures.py) and their hub-schema twins, for the tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "official"
BREAK = FIXTURES / "break"
SOURCES = {"drop": FIXTURES / "drop", "hotpotqa": FIXTURES / "hotpotqa"}
HUB_SPLIT = {"train": "train", "validation": "dev", "test": "test"}


def options(name: str) -> dict:
    """Dataset options that point `name` at the fixture files."""
    return {"source": str(SOURCES[name]), "break_source": str(BREAK)}


def _break_rows(split: str) -> list[dict]:
    with open(BREAK / "QDMR-high-level" / f"{split}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _drop_rows(side: str) -> list[dict]:
    """`ucinlp/drop`'s schema: one row per question, answers as answers_spans {spans, types}."""
    data = json.loads((SOURCES["drop"] / f"drop_dataset_{side}.json").read_text(encoding="utf-8"))
    rows = []
    for section_id, entry in data.items():
        for qa in entry["qa_pairs"]:
            answer = qa["answer"]
            date = " ".join(p for p in (answer["date"]["day"], answer["date"]["month"], answer["date"]["year"]) if p)
            if answer["number"]:
                spans, types = [answer["number"]], ["number"]
            elif answer["spans"]:
                spans, types = list(answer["spans"]), ["span"] * len(answer["spans"])
            else:
                spans, types = [date], ["date"]
            rows.append({"section_id": section_id, "query_id": qa["query_id"], "passage": entry["passage"],
                         "question": qa["question"], "answers_spans": {"spans": spans, "types": types}})
    return rows


def _hotpot_rows(side: str) -> list[dict]:
    """`hotpot_qa` (distractor)'s schema: context and supporting facts as columns of lists."""
    name = "hotpot_train_v1.1.json" if side == "train" else "hotpot_dev_distractor_v1.json"
    records = json.loads((SOURCES["hotpotqa"] / name).read_text(encoding="utf-8"))
    return [{"id": r["_id"], "question": r["question"], "answer": r["answer"], "type": r["type"], "level": r["level"],
             "supporting_facts": {"title": [t for t, _ in r["supporting_facts"]],
                                  "sent_id": [i for _, i in r["supporting_facts"]]},
             "context": {"title": [t for t, _ in r["context"]], "sentences": [s for _, s in r["context"]]}}
            for r in records]


def fake_load_dataset(calls: list):
    """A stand-in for `datasets.load_dataset` serving the fixtures in the hub's schemas (and logging calls)."""
    import datasets

    def load_dataset(name: str, config: str | None = None, split: str | None = None, **_):
        calls.append((name, config, split))
        side = HUB_SPLIT[split]
        if name == "break_data":
            assert config == "QDMR-high-level"
            rows = _break_rows(side)
        elif name == "ucinlp/drop":
            rows = _drop_rows(side)
        elif name == "hotpot_qa":
            assert config == "distractor"
            rows = _hotpot_rows(side)
        else:
            raise AssertionError(f"unexpected hub dataset {name}")
        return datasets.Dataset.from_list(rows)

    return load_dataset
