"""Write tests/data/fixtures/official/: the official BREAK, DROP and HotpotQA layouts in miniature, made from a few
dozen real rows of shared/data (run again to regenerate; the output is deterministic and committed).

    python tests/data/make_official_fixtures.py [--data-dir ../shared/data]

- `break/QDMR-high-level/{train,dev,test}.csv`: real BREAK high-level rows. The shared data has no BREAK train,
  so the train file holds real BREAK dev rows of other sections/questions with their ids and split column
  rewritten to train (`DROP_train_...`, `HOTPOT_train_...`): the official train layout, with real text.
- `drop/drop_dataset_{train,dev}.json`: the official DROP structure (section_id -> passage, qa_pairs with
  question, query_id, answer and validated_answers), from the simple-evals dev copy via the BREAK join. The
  copy has no ids: a question BREAK names keeps BREAK's query_id; the other questions on the passage get a
  stable uuid5 of their simple-evals line (they play DROP questions BREAK does not decompose).
- `hotpotqa/hotpot_{train_v1.1,dev_distractor_v1}.json`: the official HotpotQA array, from the shared copies
  that keep sentences and supporting facts, plus a few questions BREAK does not cover.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import uuid
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).parent / "fixtures" / "official"
DROP_SECTIONS = {"train": 5, "dev": 5, "test": 2}  # sections per BREAK split
QUESTIONS_PER_PASSAGE = 8  # BREAK's questions on a passage, plus others up to this many
HOTPOT = {"train": 8, "dev": 8, "test": 3}  # BREAK HOTPOT questions per split
HOTPOT_EXTRA = 3  # HotpotQA questions without a BREAK row, per side
COLUMNS = ["question_id", "question_text", "decomposition", "operators", "split"]


def _read_break(data_dir: Path, split: str) -> list[dict]:
    with open(data_dir / "raw" / "break" / "QDMR-high-level" / f"{split}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _answer(answer) -> dict:
    d = answer.to_dict()
    return {"number": d["number"], "date": d["date"], "spans": d["spans"]}


def _drop(data_dir: Path, rows: dict[str, list[dict]]) -> tuple[dict, dict]:
    """BREAK DROP rows per split and the official DROP JSON per side, from simple-evals via the derived join."""
    from decomp.data.sources.drop import load_drop_simple_evals, passage_key

    records = load_drop_simple_evals(data_dir / "raw" / "drop" / "simple-evals" / "drop_v0_dev.jsonl.gz").examples
    by_line = {e.meta["line"]: e for e in records}
    by_passage = defaultdict(list)
    for e in records:
        by_passage[passage_key(e.passage)].append(e)
    joined: dict[str, dict] = {}
    with open(data_dir / "derived" / "break_drop_dev_join.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["break_file"].startswith("QDMR-high-level/") and r["status"] == "matched":
                joined[r["question_id"]] = r
    dev, test = _read_break(data_dir, "dev"), _read_break(data_dir, "test")
    sections: dict[str, list[dict]] = defaultdict(list)
    for row in dev + test:
        if row["question_id"] in joined:
            sections[joined[row["question_id"]]["section_id"]].append(row)
    dev_sections = sorted({s for s, rs in sections.items() if rs[0]["split"] == "dev" and len(rs) >= 3})
    test_sections = sorted({s for s, rs in sections.items() if rs[0]["split"] == "test" and len(rs) >= 3})
    chosen = {"train": dev_sections[:DROP_SECTIONS["train"]],
              "dev": dev_sections[DROP_SECTIONS["train"]:DROP_SECTIONS["train"] + DROP_SECTIONS["dev"]],
              "test": test_sections[:DROP_SECTIONS["test"]]}
    official: dict[str, dict] = {"train": {}, "dev": {}}
    for split, names in chosen.items():
        side = "train" if split == "train" else "dev"
        for section in names:
            members = sections[section][:QUESTIONS_PER_PASSAGE]
            first = by_line[int(joined[members[0]["question_id"]]["drop_v0_dev_line"])]
            qa_pairs, named = [], set()
            for row in members:
                j = joined[row["question_id"]]
                line = int(j["drop_v0_dev_line"])
                named.add(line)
                qid = row["question_id"].replace("DROP_dev_", f"DROP_{side}_", 1)
                rows[split].append({**row, "question_id": qid, "split": split})
                qa_pairs.append((line, j["query_id"]))
            others = [e for e in by_passage[passage_key(first.passage)] if e.meta["line"] not in named]
            for e in others[: max(0, QUESTIONS_PER_PASSAGE - len(members))]:
                query_id = uuid.uuid5(uuid.NAMESPACE_URL, f"drop-simple-evals-{e.meta['line']}")
                qa_pairs.append((e.meta["line"], str(query_id)))
            official[side][section] = {"passage": first.passage, "qa_pairs": [
                {"question": by_line[line].question, "query_id": query_id,
                 "answer": _answer(by_line[line].answers[0]),
                 "validated_answers": [_answer(a) for a in by_line[line].answers[1:]]}
                for line, query_id in qa_pairs]}
    return official["train"], official["dev"]


def _official_hotpot(e) -> dict:
    return {"_id": e.meta.get("hotpot_id", e.id), "answer": e.answers[0].text(), "question": e.question,
            "supporting_facts": [[t, i] for t, i in e.supporting_facts],
            "context": [[p.title, list(p.sentences)] for p in e.context],
            "type": e.question_type or "bridge", "level": e.meta.get("level", "hard")}


def _hotpot(data_dir: Path, rows: dict[str, list[dict]]) -> tuple[list, list]:
    os.environ.setdefault("DECOMP_DATA_DIR", str(data_dir))
    from decomp.data.datasets import get_dataset

    dataset = get_dataset("hotpotqa", data_dir=data_dir)
    rich = [e for e in dataset.join("dev")[0] if e.meta.get("format") in ("official", "hf") and e.supporting_facts]
    test = [e for e in dataset.join("test")[0] if e.meta.get("format") in ("official", "hf") and e.supporting_facts]
    rich.sort(key=lambda e: e.id)
    test.sort(key=lambda e: e.id)
    picked = {"train": rich[:HOTPOT["train"]], "dev": rich[HOTPOT["train"]:HOTPOT["train"] + HOTPOT["dev"]],
              "test": test[:HOTPOT["test"]]}
    used = {e.meta["hotpot_id"] for es in picked.values() for e in es}
    covered = {r.question_id.split("_", 2)[2] for s in ("dev", "test") for r in dataset.break_table(s).rows
               if r.question_id.startswith("HOTPOT_")}
    extra = sorted((e for e in dataset.records("dev") if e.id not in covered and e.id not in used
                    and e.meta.get("format") in ("official", "hf") and e.supporting_facts), key=lambda e: e.id)
    files: dict[str, list] = {"train": [], "dev": []}
    for split, examples in picked.items():
        side = "train" if split == "train" else "dev"
        for e in examples:
            qid = e.id.replace("HOTPOT_dev_", f"HOTPOT_{side}_", 1) if split == "train" else e.id
            steps = " ;".join(f"return {s.text}" if not s.text.startswith("return ") else s.text
                              for s in e.decomposition)
            rows[split].append({"question_id": qid, "question_text": e.question, "decomposition": steps,
                                "operators": repr([s.operator for s in e.decomposition]), "split": split})
            files[side].append(_official_hotpot(e))
    files["train"] += [_official_hotpot(e) for e in extra[:HOTPOT_EXTRA]]
    files["dev"] += [_official_hotpot(e) for e in extra[HOTPOT_EXTRA:2 * HOTPOT_EXTRA]]
    return files["train"], files["dev"]


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[3] / "shared" / "data"))
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    rows: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    drop_train, drop_dev = _drop(data_dir, rows)
    hotpot_train, hotpot_dev = _hotpot(data_dir, rows)
    breaks = {r["question_id"]: r for split in ("dev", "test") for r in _read_break(data_dir, split)}
    for split, split_rows in rows.items():
        path = OUT / "break" / "QDMR-high-level" / f"{split}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            for row in split_rows:
                # HOTPOT rows keep BREAK's own decomposition text (the joined steps are re-rendered above)
                source = breaks.get(row["question_id"].replace("_train_", "_dev_", 1))
                if source and row["question_id"].startswith("HOTPOT_"):
                    row = {**row, "decomposition": source["decomposition"], "operators": source["operators"]}
                writer.writerow({c: row[c] for c in COLUMNS})
    _write_json(OUT / "drop" / "drop_dataset_train.json", drop_train)
    _write_json(OUT / "drop" / "drop_dataset_dev.json", drop_dev)
    _write_json(OUT / "hotpotqa" / "hotpot_train_v1.1.json", hotpot_train)
    _write_json(OUT / "hotpotqa" / "hotpot_dev_distractor_v1.json", hotpot_dev)
    for path in sorted(OUT.rglob("*.*")):
        print(f"{path.relative_to(OUT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
