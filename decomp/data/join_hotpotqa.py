"""Join BREAK's HOTPOT rows to HotpotQA records (context + answer), and the evaluation set beside a pool.

BREAK ids read `HOTPOT_<hotpot split>_<HotpotQA _id>`. A row joins by that id, else by normalised
question text to a record that has no HotpotQA id (its file gave none and no other file supplied one);
a record with a different id is a different question, even when the texts agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from decomp.data.schema import Example
from decomp.data.sources.break_ import BreakRow, BreakTable
from decomp.data.sources.hotpotqa import has_hotpot_id, normalize_question
from decomp.errors import DataError

DATASET = "HOTPOT"


@dataclass
class JoinReport:
    """What a join found. `per_source[f]` counts the joined rows file f holds (a row held by two
    files counts for both, as in SOURCES.md). Rows whose decomposition BREAK's lenient loader rejected
    are joined (counted in `joined` and `invalid`) but left out of the examples."""

    break_file: str
    total: int
    joined: int
    by_id: int
    by_question: int
    invalid: int
    per_source: dict[str, int] = field(default_factory=dict)
    unjoined_ids: list[str] = field(default_factory=list)

    @property
    def unjoined(self) -> int:
        return self.total - self.joined


def hotpot_id(row: BreakRow, file: str | None = None) -> str:
    """The HotpotQA `_id` inside a BREAK id (`HOTPOT_dev_5a70f0e75542994082a3e408`)."""
    parts = row.question_id.split("_", 2)
    if len(parts) != 3 or parts[0] != DATASET or not parts[2]:
        raise DataError(f"not a HOTPOT_<split>_<id> id: {row.question_id!r}", file=file, row=row.row,
                        field="question_id")
    return parts[2]


class _Index:
    """Records by id, and the id-less ones by normalised question (a text shared by two matches none)."""

    def __init__(self, records: Iterable[Example]) -> None:
        self.by_id: dict[str, Example] = {}
        by_question: dict[str, list[Example]] = {}
        for ex in records:
            if has_hotpot_id(ex):
                self.by_id.setdefault(ex.id, ex)
            else:
                by_question.setdefault(normalize_question(ex.question), []).append(ex)
        self.by_question = {k: v[0] for k, v in by_question.items() if len({e.id for e in v}) == 1}

    def find(self, qid: str, question: str) -> tuple[Example | None, str]:
        if qid in self.by_id:
            return self.by_id[qid], "id"
        ex = self.by_question.get(normalize_question(question))
        return (ex, "question") if ex is not None else (None, "")


def join_hotpotqa(table: BreakTable, records: Iterable[Example]) -> tuple[list[Example], JoinReport]:
    """Give each BREAK HOTPOT row of `table` its HotpotQA record's context and answer.

    Each joined example has the BREAK id and split, BREAK's decomposition (empty for BREAK test),
    `group` = the HotpotQA id, and meta `hotpot_id`, `context_sources`, `break_file`, `matched_by`.
    """
    index = _Index(records)
    rows = table.for_dataset(DATASET)
    examples, unjoined, per_source = [], [], Counter()
    matched = Counter()
    invalid = 0
    for row in rows:
        record, how = index.find(hotpot_id(row, table.path), row.question)
        if record is None:
            unjoined.append(row.question_id)
            continue
        matched[how] += 1
        sources = record.meta.get("sources", [])
        per_source.update(sources)
        if row.invalid:
            invalid += 1
            continue
        meta = {k: v for k, v in record.meta.items() if k != "sources"}
        meta.update(hotpot_id=record.id, context_sources=list(sources), break_file=table.path,
                    matched_by=how)
        examples.append(replace(record, id=row.question_id, decomposition=row.steps, sub_answers=(),
                                split=row.split, group=record.id, meta=meta))
    report = JoinReport(table.path, len(rows), matched["id"] + matched["question"], matched["id"],
                        matched["question"], invalid, dict(sorted(per_source.items())), unjoined)
    return examples, report


def deployed_set(records: Iterable[Example], pool: Iterable[Example]) -> list[Example]:
    """The HotpotQA records (with context) whose question is not in `pool`: the evaluation set beside
    a training pool. Pool examples are matched by `meta["hotpot_id"]` (joined) or id, and by text."""
    pool = list(pool)
    ids = {ex.meta.get("hotpot_id", ex.id) for ex in pool}
    questions = {normalize_question(ex.question) for ex in pool}
    return [ex for ex in records if ex.id not in ids and normalize_question(ex.question) not in questions]
