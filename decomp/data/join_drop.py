"""Join BREAK's DROP rows to DROP records, and pick DROP questions passage-disjoint from a pool.

BREAK ids read `DROP_<drop split>_<section_id>_<query_id>`. Against records that carry ids (official
JSON, hub) the join is exact; against simple-evals' copy, which has none, it follows the method of
shared/data/SOURCES.md: the passage most questions of a section agree on, then the same question on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from decomp.data.schema import Example
from decomp.data.sources.break_ import BreakRow, BreakTable
from decomp.data.sources.drop import DropLoad, clean_text, passage_key

MATCHED = "matched"
AMBIGUOUS = "ambiguous_passage"  # a section's best passage is tied: which one is unknowable
NO_QUESTION = "question_not_found"  # no DROP record of the section's questions has this text
NOT_ON_PASSAGE = "not_on_passage"  # the section's passage lacks this question
NO_SECTION = "section_not_found"
NO_QUERY = "query_not_found"
BAD_ID = "bad_id"


@dataclass
class JoinReport:
    break_file: str
    total: int = 0  # BREAK rows of DROP questions
    joined: int = 0
    status: Counter = field(default_factory=Counter)
    unjoined: list[str] = field(default_factory=list)
    invalid_decompositions: int = 0  # rows (joined or not) whose decomposition the BREAK loader rejected


@dataclass
class DropJoin:
    """Joined examples (id = BREAK question_id, group = section_id) and the status of every row."""

    examples: list[Example]
    report: JoinReport
    status: dict[str, str]


def parse_break_drop_id(question_id: str) -> tuple[str, str]:
    """(section_id, query_id) of a BREAK DROP id; ValueError if it does not have that form."""
    p = question_id.split("_")
    if len(p) < 5 or p[0] != "DROP":
        raise ValueError(f"not a BREAK DROP id: {question_id!r}")
    return p[2] + "_" + p[3], "_".join(p[4:])


def break_file_label(path: str | Path) -> str:
    """`QDMR-high-level/dev` for `.../QDMR-high-level/dev.csv`, as in derived/break_drop_dev_join.csv."""
    path = Path(str(path))
    return f"{path.parent.name}/{path.name.split('.')[0]}"


def _joined(row: BreakRow, drop: Example, section: str, query: str, label: str) -> Example:
    meta = {"section_id": section, "query_id": query, "drop_line": drop.meta.get("line"), "break_file": label}
    if "answers_from" in drop.meta:
        meta["answers_from"] = drop.meta["answers_from"]
    return replace(drop, id=row.question_id, group=section, split=row.split, decomposition=row.steps,
                   sub_answers=(), meta=meta)


def _join(table: BreakTable, match) -> DropJoin:
    """Run `match(rows_by_section)` -> {question_id: (status, drop example | None)} and report."""
    label = break_file_label(table.path)
    rows = table.for_dataset("DROP")
    report = JoinReport(label, total=len(rows), invalid_decompositions=sum(bool(r.invalid) for r in rows))
    by_section: dict[str, list[tuple[BreakRow, str]]] = defaultdict(list)
    status: dict[str, str] = {}
    for row in rows:
        try:
            section, query = parse_break_drop_id(row.question_id)
        except ValueError:
            status[row.question_id] = BAD_ID
            continue
        by_section[section].append((row, query))
    found = match(by_section)
    examples = []
    for section, members in by_section.items():
        for row, query in members:
            state, drop = found[row.question_id]
            status[row.question_id] = state
            if drop is not None:
                examples.append(_joined(row, drop, section, query, label))
    for row in rows:
        report.status[status[row.question_id]] += 1
        if status[row.question_id] != MATCHED:
            report.unjoined.append(row.question_id)
    report.joined = len(examples)
    return DropJoin(examples, report, status)


def join_by_ids(table: BreakTable, drop: Iterable[Example]) -> DropJoin:
    """Exact join on (section_id, query_id) against records that carry them (official JSON, hub)."""
    index = {(e.meta.get("section_id"), e.meta.get("query_id")): e for e in drop}
    sections = {section for section, _ in index}

    def match(by_section):
        found = {}
        for section, members in by_section.items():
            for row, query in members:
                drop_ex = index.get((section, query))
                state = MATCHED if drop_ex else NO_QUERY if section in sections else NO_SECTION
                found[row.question_id] = (state, drop_ex)
        return found

    return _join(table, match)


def join_by_question(table: BreakTable, drop: Iterable[Example]) -> DropJoin:
    """Join against id-less records (simple-evals) by section-wide passage vote, then question text."""
    by_question: dict[str, list[tuple[str, Example]]] = defaultdict(list)
    for e in sorted(drop, key=lambda e: e.meta.get("line", 0)):  # the first line wins among duplicates
        by_question[clean_text(e.question)].append((passage_key(e.passage), e))

    def match(by_section):
        found = {}
        for members in by_section.values():
            votes: Counter = Counter()
            for row, _ in members:
                votes.update({key for key, _ in by_question.get(clean_text(row.question), ())})
            ranked = votes.most_common(2)
            if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
                for row, _ in members:
                    found[row.question_id] = (AMBIGUOUS if ranked else NO_QUESTION, None)
                continue
            best = ranked[0][0]
            for row, _ in members:
                on_best = [e for key, e in by_question.get(clean_text(row.question), ()) if key == best]
                found[row.question_id] = (MATCHED, on_best[0]) if on_best else (NOT_ON_PASSAGE, None)
        return found

    return _join(table, match)


def join_break_drop(table: BreakTable, drop: DropLoad | Sequence[Example]) -> DropJoin:
    """Join by ids when the DROP records carry query ids, else by question text (simple-evals)."""
    records = drop.examples if isinstance(drop, DropLoad) else list(drop)
    if records and all("query_id" in e.meta for e in records):
        return join_by_ids(table, records)
    return join_by_question(table, records)


def passage_disjoint(drop: Iterable[Example], pool: Iterable[Example], *,
                     within: Iterable[Example] | None = None) -> dict[str, list[Example]]:
    """DROP questions sharing no passage (nor, where both know it, section) with `pool`, grouped by
    passage key; `within` keeps only passages of another set (the `deployed` protocol: DROP dev
    questions on the passages of BREAK-test sections, disjoint from the BREAK-dev training pool)."""
    pool = list(pool)
    banned_passages = {passage_key(e.passage) for e in pool}
    banned_sections = {e.meta["section_id"] for e in pool if "section_id" in e.meta}
    allowed = None if within is None else {passage_key(e.passage) for e in within}
    groups: dict[str, list[Example]] = defaultdict(list)
    for e in drop:
        key = passage_key(e.passage)
        if key in banned_passages or e.meta.get("section_id") in banned_sections:
            continue
        if allowed is None or key in allowed:
            groups[key].append(e)
    return dict(groups)
