"""HotpotQA distractor: the official JSON, the HF schema, IRCoT's processed JSONL, or the hub.

Every format becomes `Example` records (source "hotpotqa", id and group = HotpotQA `_id`). The format is
detected from the records, never from the file name: a file may be a JSON array or JSON lines (gzipped
or not), and its records may follow any of the three schemas.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import DataError
from decomp.io import JsonLines

HUB_NAME = "hotpot_qa"
SOURCE = "hotpotqa"
FORMATS = ("official", "hf", "ircot")
_WHITESPACE = re.compile(r"\s*")


def normalize_question(text: str) -> str:
    """The key for matching one question across files: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def question_hash_id(question: str) -> str:
    """A stable id for a question whose file gives no HotpotQA id (the Meve copy)."""
    return "qhash-" + hashlib.sha1(normalize_question(question).encode("utf-8")).hexdigest()[:16]


@dataclass
class HotpotTable:
    """The records of one file (or hub split) and, under lenient loading, the rows skipped (each counted)."""

    path: str
    label: str  # how `meta["sources"]` names the file (relative to the directory loaded)
    format: str
    examples: list[Example]
    skipped: list[str]


@dataclass
class HotpotUnion:
    """Every file of a directory, one record per distinct question (the richest copy of it).

    `duplicates` counts the rows merged into a record already loaded; `meta["sources"]` of each record
    lists every file that holds the question.
    """

    examples: list[Example]
    tables: list[HotpotTable]
    duplicates: int

    @property
    def rows(self) -> int:
        return sum(len(t.examples) for t in self.tables)

    @property
    def skipped(self) -> list[str]:
        return [s for t in self.tables for s in t.skipped]


# ---- reading records with their line numbers ------------------------------------------------------


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path)) from None


def _array_records(text: str, path: str) -> list[tuple[str, object]]:
    """Decode a JSON array element by element, so each record keeps the line it starts on and its index in the
    array (the official files are one line: the line alone would name every record "row 1")."""
    decoder, records = json.JSONDecoder(), []
    pos = text.index("[") + 1
    line, counted = 1, 0

    def line_at(p: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, p)
        counted = p
        return line

    pos = _WHITESPACE.match(text, pos).end()
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise DataError(f"broken JSON array ({exc.msg})", file=path,
                                row=f"{exc.lineno} (record [{len(records)}])") from None
            records.append((f"{line_at(pos)} (record [{len(records)}])", value))
            pos = _WHITESPACE.match(text, end).end()
            if text.startswith(",", pos):
                pos = _WHITESPACE.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise DataError("broken JSON array (expected ',' or ']')", file=path, row=line_at(pos))
    if text[pos:].strip():
        raise DataError("text after the JSON array", file=path, row=line_at(pos))
    return records


def _read_records(path: Path) -> list[tuple[int | str, object]]:
    text = _read_text(path)
    if text.lstrip().startswith("["):
        return _array_records(text, str(path))
    return list(JsonLines(path, broken="yield", lines=text.split("\n")))  # not splitlines(): U+2028 in strings


# ---- one record per schema ------------------------------------------------------------------------


def _schema_of(record: object) -> str | None:
    if not isinstance(record, dict):
        return None
    if {"question_text", "contexts", "answers_objects"} & record.keys():
        return "ircot"
    if isinstance(record.get("context"), list) or "_id" in record:
        return "official"
    if isinstance(record.get("context"), dict):
        return "hf"
    return None


class _Fields:
    """Typed access to one record's fields; every failure names the file, line and field."""

    def __init__(self, record: object, path: str, line: int | str) -> None:
        if not isinstance(record, dict):
            raise DataError(f"expected a JSON object, got {type(record).__name__}", file=path, row=line)
        self.record, self.path, self.line = record, path, line

    def fail(self, field: str, message: str) -> DataError:
        return DataError(message, file=self.path, row=self.line, field=field)

    def get(self, field: str, kind: type, *, required: bool = True):
        if field not in self.record or self.record[field] is None:
            if required:
                raise self.fail(field, "missing")
            return kind()
        value = self.record[field]
        if not isinstance(value, kind):
            raise self.fail(field, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def text(self, field: str) -> str:
        value = self.get(field, str).strip()
        if not value:
            raise self.fail(field, "empty value")
        return value


def _paragraph(f: _Fields, field: str, title: object, sentences: object) -> Paragraph:
    if not isinstance(title, str) or not isinstance(sentences, list) \
            or not all(isinstance(s, str) for s in sentences):
        raise f.fail(field, f"expected a title and a list of sentences, got {title!r}, {sentences!r}"[:200])
    # HotpotQA sentences keep their leading space, so joining them restores the paragraph.
    return Paragraph(title, "".join(sentences), tuple(sentences))


def _facts(f: _Fields, titles: list, sent_ids: list) -> tuple[tuple[str, int], ...]:
    if len(titles) != len(sent_ids) or not all(isinstance(t, str) for t in titles) \
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in sent_ids):
        raise f.fail("supporting_facts", "expected (title, sentence index) pairs")
    return tuple(zip(titles, sent_ids, strict=True))


def _official(f: _Fields) -> dict:
    context = f.get("context", list)
    if not all(isinstance(p, list) and len(p) == 2 for p in context):
        raise f.fail("context", "expected [title, [sentences]] pairs")
    facts = f.get("supporting_facts", list, required=False)
    if not all(isinstance(p, list) and len(p) == 2 for p in facts):
        raise f.fail("supporting_facts", "expected [title, sent_id] pairs")
    return {"id": f.record.get("_id"), "question": f.text("question"), "answer": f.text("answer"),
            "context": tuple(_paragraph(f, "context", t, s) for t, s in context),
            "supporting_facts": _facts(f, [p[0] for p in facts], [p[1] for p in facts])}


def _hf(f: _Fields) -> dict:
    context = f.get("context", dict)
    titles, sentences = context.get("title"), context.get("sentences")
    if not isinstance(titles, list) or not isinstance(sentences, list) or len(titles) != len(sentences):
        raise f.fail("context", "expected equally long 'title' and 'sentences' lists")
    facts = f.get("supporting_facts", dict, required=False)
    fact_titles, fact_ids = facts.get("title", []), facts.get("sent_id", [])
    if not isinstance(fact_titles, list) or not isinstance(fact_ids, list):
        raise f.fail("supporting_facts", "expected 'title' and 'sent_id' lists")
    return {"id": f.record.get("id"), "question": f.text("question"), "answer": f.text("answer"),
            "context": tuple(_paragraph(f, "context", t, s) for t, s in zip(titles, sentences, strict=True)),
            "supporting_facts": _facts(f, fact_titles, fact_ids)}


def _ircot(f: _Fields) -> dict:
    answers = []
    for a in f.get("answers_objects", list):
        if not isinstance(a, dict):
            raise f.fail("answers_objects", "expected {number, date, spans} objects")
        answers.append(Answer.from_dict(a))
    answers = [a for a in answers if not a.is_empty()]
    if not answers:
        raise f.fail("answers_objects", "no non-empty answer")
    paragraphs, supporting = [], []
    for p in f.get("contexts", list):
        if not isinstance(p, dict) or not isinstance(p.get("title"), str) \
                or not isinstance(p.get("paragraph_text"), str):
            raise f.fail("contexts", "expected {title, paragraph_text} objects")
        paragraphs.append(Paragraph(p["title"], p["paragraph_text"]))
        if p.get("is_supporting"):
            supporting.append(p["title"])
    return {"id": f.record.get("question_id"), "question": f.text("question_text"),
            "answers": tuple(answers), "context": tuple(paragraphs), "supporting_titles": supporting}


_PARSERS = {"official": _official, "hf": _hf, "ircot": _ircot}
_CONTEXT_FIELD = {"official": "context", "hf": "context", "ircot": "contexts"}


def _example(record: object, fmt: str, path: str, label: str, line: int | str, split: str) -> Example:
    f = _Fields(record, path, line)
    fields = _PARSERS[fmt](f)
    if not fields["context"]:
        raise f.fail(_CONTEXT_FIELD[fmt], "no paragraphs")
    meta: dict = {"sources": [label], "format": fmt}
    raw_id = fields["id"]
    if isinstance(raw_id, str) and raw_id.strip():
        qid = raw_id.strip()
    else:
        # No HotpotQA id: absent (Meve) or AFlow's integer renumbering (MASArena); the union later
        # gives such a record the id of the same question in another file.
        qid = question_hash_id(fields["question"])
        if raw_id is not None:
            meta["source_id"] = raw_id
    if isinstance(f.record.get("level"), str):
        meta["level"] = f.record["level"]
    if "supporting_titles" in fields:
        meta["supporting_titles"] = fields["supporting_titles"]
    kind = f.record.get("type")
    return Example(
        id=qid, source=SOURCE, question=fields["question"], context=fields["context"],
        answers=fields.get("answers") or (Answer.span(fields["answer"]),), group=qid, split=split,
        question_type=kind if isinstance(kind, str) else "",
        supporting_facts=fields.get("supporting_facts", ()), meta=meta)


def _table(records: Iterable[tuple[int | str, object]], path: str, label: str, lenient: bool, *,
           fmt: str | None = None, split: str = "") -> HotpotTable:
    records = list(records)
    if fmt is None:
        fmt = next((s for _, r in records if (s := _schema_of(r))), None)
    if fmt is None:
        first = next((r for _, r in records if isinstance(r, dict)), None)
        found = sorted(first) if first is not None else "no JSON object"
        raise DataError(f"matches no known HotpotQA schema ({', '.join(FORMATS)}); keys found: {found}",
                        file=path, row=records[0][0] if records else None)
    examples, skipped = [], []
    for line, record in records:
        try:
            if isinstance(record, DataError):
                raise record
            examples.append(_example(record, fmt, path, label, line, split))
        except DataError as exc:
            if not lenient:
                raise
            skipped.append(str(exc))
    return HotpotTable(path, label, fmt, examples, skipped)


# ---- public loaders -------------------------------------------------------------------------------


def load_hotpotqa_file(path: str | Path, *, lenient: bool = False, label: str | None = None) -> HotpotTable:
    """One file in any supported format. `label` names the file in `meta["sources"]` (default: the path)."""
    return _table(_read_records(Path(path)), str(path), label or str(path), lenient)


def load_hotpotqa_hub(config: str = "distractor", split: str = "validation", *,
                      lenient: bool = False) -> HotpotTable:
    """Load HotpotQA from the Hugging Face hub (HF schema); needs network access to the hub."""
    import datasets

    ds = datasets.load_dataset(HUB_NAME, config, split=split)
    name = f"{HUB_NAME}/{config}/{split}"
    return _table(enumerate(ds, start=1), name, name, lenient, fmt="hf", split=split)


def load_hotpotqa(source: str | Path, *, lenient: bool = False) -> HotpotTable:
    """A local file, or `hotpot_qa:<config>:<split>` for the hub."""
    text = str(source)
    if text.startswith(HUB_NAME + ":"):
        _, config, split = (text.split(":") + ["validation"])[:3]
        return load_hotpotqa_hub(config, split, lenient=lenient)
    return load_hotpotqa_file(source, lenient=lenient)


def _richness(example: Example) -> tuple[bool, bool]:
    """Sentence-level supporting facts and sentences beat IRCoT's paragraph-level flags."""
    return bool(example.supporting_facts), all(p.sentences for p in example.context)


def has_hotpot_id(example: Example) -> bool:
    """False for a record whose id is a question hash (its file gave no HotpotQA id)."""
    return not example.id.startswith("qhash-")


def merge_tables(tables: list[HotpotTable]) -> HotpotUnion:
    """One record per question: same HotpotQA id, or same normalised question where a copy has no id.

    Two copies that both carry (different) ids stay apart even if their texts match. The richest copy
    wins (first loaded among equals); it takes the group's HotpotQA id and every copy's file.
    """
    groups: list[list[Example]] = []
    by_id: dict[str, int] = {}
    by_question: dict[str, int] = {}
    for table in tables:
        for ex in table.examples:
            key = normalize_question(ex.question)
            if has_hotpot_id(ex):
                g = by_id.get(ex.id)
                # A copy without an id loaded earlier (Meve before RPT) joins this id's group.
                if g is None and key in by_question \
                        and not any(map(has_hotpot_id, groups[by_question[key]])):
                    g = by_question[key]
            else:
                g = by_question.get(key)
            if g is None:
                g = len(groups)
                groups.append([])
                by_question.setdefault(key, g)
            if has_hotpot_id(ex):
                by_id.setdefault(ex.id, g)
            groups[g].append(ex)
    merged = []
    for copies in groups:
        best = max(copies, key=_richness)  # max keeps the first of equals
        qid = next((e.id for e in copies if has_hotpot_id(e)), best.id)
        sources = sorted({s for e in copies for s in e.meta["sources"]})
        merged.append(replace(best, id=qid, group=qid, meta={**best.meta, "sources": sources}))
    return HotpotUnion(merged, tables, sum(len(t.examples) for t in tables) - len(merged))


def load_hotpotqa_dir(directory: str | Path, *, lenient: bool = False) -> HotpotUnion:
    """Every non-hidden file under `directory` (each must be a HotpotQA file), merged; `meta["sources"]`
    names the files relative to `directory`."""
    root = Path(directory)
    if not root.is_dir():
        raise DataError("not a directory", file=str(root))
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    if not files:
        raise DataError("no HotpotQA files", file=str(root))
    return merge_tables([load_hotpotqa_file(p, lenient=lenient, label=p.relative_to(root).as_posix())
                         for p in files])
