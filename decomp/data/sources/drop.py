"""DROP loaders: the official JSON, the hub dataset, simple-evals' flattened JSONL and the
Successive-Prompting train annotations. Each returns Example records (source "drop", one untitled
Paragraph holding the passage, answers[0] primary then the validated alternatives).

Where errors point: JSONL rows are 1-based file lines, as editors show them (while `meta["line"]` and
simple-evals ids are 0-based, as in shared/data/derived/*.csv); official-JSON rows are
`<section_id>/qa_pairs[i]`; hub rows are 1-based record numbers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from decomp.data.schema import Answer, Date, Example, Paragraph
from decomp.errors import DataError
from decomp.qdmr.steps import Step

SOURCE = "drop"
HUB_NAME = "ucinlp/drop"
SIMPLE_EVALS_ANSWERS = "simple-evals ref_text strings (answer types inferred)"
HUB_ANSWERS = "hub answers_spans (multi-span answers flattened into single spans)"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
# simple-evals writes a date as f"{day} {month} {year}" with empty parts kept: "  1946", " May ".
DATE_RENDERING = re.compile(rf"(\d*) ({'|'.join(MONTHS)}|) (\d*)")

# Successive-Prompting sub-questions in functional form, mapped to the nearest BREAK operator.
# Natural-language sub-questions get "none": their form does not say which operation they do.
SP_OPERATORS = {"count": "aggregate", "sum": "arithmetic", "diff": "arithmetic", "not": "arithmetic",
                "if_then": "comparison", "top": "superlative", "bottom": "superlative"}
SP_FUNCTION = re.compile(r"\s*([a-z_]+)\(")


@dataclass
class DropLoad:
    """The examples of one DROP source and, under lenient loading, one message per skipped record."""

    path: str
    examples: list[Example]
    skipped: list[str]


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (str.split is several times faster than a regex on passages)."""
    return " ".join(text.split())


@lru_cache(maxsize=8192)  # joins and splits key every record; a few hundred distinct passages
def passage_key(passage: str) -> str:
    """A stable id for a passage text (whitespace-insensitive): the group of sources without sections."""
    return "passage-" + hashlib.sha1(clean_text(passage).encode("utf-8")).hexdigest()[:16]


def date_from_rendering(text: str) -> Date | None:
    """The Date behind a "day month year" rendering with empty parts kept, else None."""
    match = DATE_RENDERING.fullmatch(text)
    if not match or not any(match.groups()):
        return None
    return Date(*match.groups())


def _contains(evidence: str, part: str) -> bool:
    return bool(part) and part.lower() in evidence


def split_joined_spans(text: str, evidence: str) -> tuple[str, ...]:
    """Undo simple-evals' " and "-joining of multi-span answers where the text evidences it.

    The answer stays one span if it occurs in `evidence` (passage + question, lower-cased) or cannot
    be cut into parts that all occur; otherwise the cut with the fewest parts wins, which keeps
    spans like "Bosnia and Herzegovina" whole.
    """
    words = text.split(" and ")
    if len(words) == 1 or _contains(evidence, text):
        return (text,)
    # best[i]: fewest evidenced parts covering words[:i], as the list of parts
    best: list[list[str] | None] = [[]] + [None] * len(words)
    for end in range(1, len(words) + 1):
        for start in range(end):
            part = " and ".join(words[start:end])
            if best[start] is not None and _contains(evidence, part):
                candidate = best[start] + [part]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return tuple(best[-1]) if best[-1] and len(best[-1]) > 1 else (text,)


def answer_from_string(text: str, evidence: str) -> Answer:
    """Infer a structured answer from a simple-evals string: date rendering, number, else span(s)."""
    date = date_from_rendering(text)
    if date is not None:
        return Answer(date=date)
    text = clean_text(text)
    if NUMBER.fullmatch(text):
        return Answer(number=text)
    return Answer(spans=split_joined_spans(text, evidence))


def _date_from_text(text: str) -> Date:
    """A hub date string ("day month year" with empty parts dropped) back into its parts."""
    day, month, year = "", "", ""
    for token in text.split():
        if token in MONTHS:
            month = token
        elif month or day:
            year = token
        else:
            day = token
    if day and not month and not year:  # a lone number is a year ("1946")
        day, year = "", day
    return Date(day, month, year)


def _unique(answers: Iterable[Answer]) -> tuple[Answer, ...]:
    return tuple(dict.fromkeys(a for a in answers if not a.is_empty()))


def _required(value: object, file: str, row: int | str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"missing or empty {field}", file=file, row=row, field=field)
    return value


def _example(ex_id: str, question: str, passage: str, answers: tuple[Answer, ...], group: str,
             split: str, meta: dict, **extra) -> Example:
    return Example(id=ex_id, source=SOURCE, question=clean_text(question),
                   context=(Paragraph("", clean_text(passage)),), answers=answers, group=group,
                   split=split, meta=meta, **extra)


def _collect(records: Iterator[Example | DataError], path: str, lenient: bool) -> DropLoad:
    """Records arrive as examples or located errors; raise the first error unless lenient."""
    examples, skipped = [], []
    for record in records:
        if isinstance(record, DataError):
            if not lenient:
                raise record
            skipped.append(str(record))
        else:
            examples.append(record)
    return DropLoad(path, examples, skipped)


# --- official JSON (and Successive Prompting, which keeps its structure) ---------------------------

def _sub_answer(text: str) -> Answer | None:
    """A Successive-Prompting sub-answer: "a||| b" or "a; b" lists spans; a lone number is a number."""
    parts = tuple(clean_text(p) for p in re.split(r"\|\|\||;", str(text)) if p.strip())
    if not parts:
        return None
    if len(parts) == 1 and NUMBER.fullmatch(parts[0]):
        return Answer(number=parts[0])
    return Answer(spans=parts)


def _sp_steps(qa: dict, file: str, row: str) -> tuple[tuple[Step, ...], tuple[Answer | None, ...]]:
    pairs = qa.get("decomp_qas")
    if not isinstance(pairs, list) or not pairs:
        raise DataError("missing or empty decomp_qas", file=file, row=row, field="decomp_qas")
    steps, subs = [], []
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) and pair[0].strip()):
            raise DataError(f"expected [sub-question, sub-answer], got {pair!r}", file=file, row=row,
                            field="decomp_qas")
        function = SP_FUNCTION.match(pair[0])
        operator = SP_OPERATORS.get(function.group(1), "none") if function else "none"
        steps.append(Step(clean_text(pair[0]), operator))
        subs.append(_sub_answer(pair[1]))
    return tuple(steps), tuple(subs)


def _official_records(data: object, path: str, split: str,
                      annotations: bool) -> Iterator[Example | DataError]:
    if not isinstance(data, dict):
        yield DataError(f"expected an object keyed by section_id, got {type(data).__name__}", file=path)
        return
    for section_id, entry in data.items():
        qa_pairs = entry.get("qa_pairs") if isinstance(entry, dict) else None
        if not isinstance(qa_pairs, list):
            yield DataError("missing qa_pairs list", file=path, row=section_id, field="qa_pairs")
            continue
        for i, qa in enumerate(qa_pairs):
            row = f"{section_id}/qa_pairs[{i}]"
            try:
                passage = _required(entry.get("passage"), path, row, "passage")
                if not isinstance(qa, dict):
                    raise DataError("expected an object", file=path, row=row)
                question = _required(qa.get("question"), path, row, "question")
                query_id = _required(qa.get("query_id"), path, row, "query_id")
                raw = [a for a in [qa.get("answer"), *(qa.get("validated_answers") or ())] if a is not None]
                if not all(isinstance(a, dict) for a in raw):
                    raise DataError("answers must be objects", file=path, row=row, field="answer")
                answers = _unique(Answer.from_dict(a) for a in raw)
                if not answers:
                    raise DataError("empty answer", file=path, row=row, field="answer")
                meta = {"section_id": section_id, "query_id": query_id}
                extra: dict = {}
                if annotations or "decomp_qas" in qa:
                    extra["decomposition"], extra["sub_answers"] = _sp_steps(qa, path, row)
                    extra["question_type"] = str(qa.get("question_type") or "")
                    meta["decomposition_text"] = [str(s) for s in qa.get("decomposition") or ()]
                yield _example(query_id, question, passage, answers, section_id, split, meta, **extra)
            except DataError as exc:
                yield exc


def _read_json(path: str) -> object:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        # One JSON document: nothing after the break can be read, so this is fatal even when lenient.
        raise DataError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=path, row=exc.lineno) from None


def load_drop_json(path: str | Path, *, split: str = "", lenient: bool = False) -> DropLoad:
    """The official `drop_dataset_{train,dev}.json`: id = query_id, group = section_id. A file that is
    not valid JSON raises even when lenient (nothing after the break is readable)."""
    path = str(path)
    return _collect(_official_records(_read_json(path), path, split, False), path, lenient)


def load_successive_prompting(path: str | Path, *, lenient: bool = False) -> DropLoad:
    """Successive-Prompting's annotated DROP train questions: official structure plus `decomp_qas`
    (sub-question, sub-answer) as steps and sub_answers, `question_type`, and the free-text
    `decomposition` in meta["decomposition_text"]."""
    path = str(path)
    return _collect(_official_records(_read_json(path), path, "train", True), path, lenient)


# --- simple-evals JSONL ----------------------------------------------------------------------------

def _lines(f, path: str) -> Iterator[bytes | DataError]:
    """The raw lines of a (gzipped) file; a cut-short or corrupt gzip ends them with a located error."""
    row = 0
    try:
        for row, raw in enumerate(f, start=1):  # noqa: B007  (row names the line after the last one read)
            yield raw
    except (EOFError, OSError) as exc:  # gzip.BadGzipFile is an OSError
        yield DataError(f"unreadable after this line: {exc}", file=path, row=row + 1)


def _simple_evals_records(lines: Iterable[bytes | str | DataError], path: str) -> Iterator[Example | DataError]:
    for line_no, line in enumerate(lines):
        row = line_no + 1
        if isinstance(line, DataError):
            yield line
            continue
        if not line.strip():  # a blank line (e.g. at the end) holds no record
            continue
        try:
            try:
                record = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
            except UnicodeDecodeError as exc:  # one bad line, not the file: lenient loading skips it
                raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, row=row) from None
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=path, row=row) from None
            if not isinstance(record, dict):
                raise DataError("expected a JSON object", file=path, row=row)
            context = _required(record.get("context"), path, row, "context")
            head, sep, question = context.removesuffix("\nAnswer:").rpartition("\nQuestion: ")
            passage = head.removeprefix("Passage: ")
            if not sep or not head.startswith("Passage: ") or not passage.strip():
                raise DataError("no 'Passage: ...' part", file=path, row=row, field="context")
            if not question.strip():
                raise DataError("no 'Question: ...' part", file=path, row=row, field="context")
            ref_text = _required(record.get("ref_text"), path, row, "ref_text")
            evidence = clean_text(passage + " " + question).lower()
            answers = _unique(answer_from_string(a, evidence) for a in ref_text.split("|"))
            if not answers:
                raise DataError("empty answer", file=path, row=row, field="ref_text")
            meta = {"line": line_no, "answers_from": SIMPLE_EVALS_ANSWERS}
            yield _example(f"drop-simple-evals-{line_no}", question, passage, answers, passage_key(passage),
                           "", meta)
        except DataError as exc:
            yield exc


def load_drop_simple_evals(path: str | Path, *, lenient: bool = False) -> DropLoad:
    """simple-evals' `drop_v0_*.jsonl(.gz)`: no ids, answers as `|`-joined strings (types inferred)."""
    path = str(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:  # bytes: a line that is not UTF-8 is that line's error, not the file's
        return _collect(_simple_evals_records(_lines(f, path), path), path, lenient)


# --- hub -------------------------------------------------------------------------------------------

def _hub_answer(text: str, answer_type: str) -> Answer:
    if answer_type == "number":
        return Answer(number=text)
    if answer_type == "date":
        return Answer(date=_date_from_text(text))
    return Answer(spans=(text,))


def _hub_records(rows: Iterable[dict], name: str, split: str) -> Iterator[Example | DataError]:
    for i, rec in enumerate(rows, start=1):
        try:
            passage = _required(rec.get("passage"), name, i, "passage")
            question = _required(rec.get("question"), name, i, "question")
            spans = rec.get("answers_spans") or {}
            texts, types = spans.get("spans") or [], spans.get("types") or []
            if len(texts) != len(types):
                raise DataError(f"{len(texts)} spans for {len(types)} types", file=name, row=i,
                                field="answers_spans")
            answers = _unique(_hub_answer(s, t) for s, t in zip(texts, types, strict=True))
            if not answers:
                raise DataError("empty answer", file=name, row=i, field="answers_spans")
            meta = {"section_id": rec["section_id"], "query_id": rec["query_id"], "answers_from": HUB_ANSWERS}
            yield _example(rec["query_id"], question, passage, answers, rec["section_id"], split, meta)
        except DataError as exc:
            yield exc


def load_drop_hub(split: str = "validation", *, lenient: bool = False) -> DropLoad:
    """DROP from the Hugging Face hub (`ucinlp/drop`); needs network access to the hub."""
    import datasets

    name = f"{HUB_NAME}:{split}"
    return _collect(_hub_records(datasets.load_dataset(HUB_NAME, split=split), name, split), name, lenient)


def load_drop(source: str | Path, *, split: str = "", lenient: bool = False) -> DropLoad:
    """Pick the loader: `ucinlp/drop[:split]`, a `.jsonl(.gz)` simple-evals file, or an official JSON
    (Successive-Prompting annotations are recognised by their `decomp_qas`)."""
    text = str(source)
    if text == HUB_NAME or text.startswith(HUB_NAME + ":"):
        return load_drop_hub(text.partition(":")[2] or "validation", lenient=lenient)
    if text.endswith((".jsonl", ".jsonl.gz")):
        return load_drop_simple_evals(text, lenient=lenient)
    return load_drop_json(text, split=split, lenient=lenient)
