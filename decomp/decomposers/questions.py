"""Where questions to decompose come from: a dataset split, BREAK high-level rows, or a JSONL file.

Specs: `drop:deployed`, `drop:pool`, `drop:fold<k>` (the pool questions a reader of the gold protocol's fold k
evaluates, 5 folds, seed 0: what a fold-k decomposer never trained on), the same for `hotpotqa` and `synthetic`;
`break:<dev|test>[:<DROP|HOTPOT|CWQ>]` (ids are BREAK question ids, as in the pools); or a path to a JSONL
of {"id", "question"} lines. Each item is (id, question, gold steps or ()).
"""

from __future__ import annotations

from pathlib import Path

from decomp.data.datasets import DATASETS, get_dataset, resolve_data_dir
from decomp.data.protocols import gold_split
from decomp.errors import ConfigError, DataError
from decomp.io import iter_jsonl
from decomp.qdmr.steps import Step

Item = tuple[str, str, tuple[Step, ...]]
N_FOLDS, FOLD_SEED = 5, 0  # the readers' (and decomposer configs') default gold protocol


def _jsonl(path: Path) -> list[Item]:
    items = []
    for line_no, record in iter_jsonl(path):
        for field in ("id", "question"):
            if not isinstance(record, dict) or not str(record.get(field) or "").strip():
                raise DataError("missing or empty", file=str(path), row=line_no, field=field)
        items.append((str(record["id"]), str(record["question"]), ()))
    return items


def load_questions(spec: str, data_dir: str | Path | None = None) -> list[Item]:
    name, _, rest = spec.partition(":")
    if name == "break":
        from decomp.data.sources.break_ import load_break

        split, _, prefix = rest.partition(":")
        if split not in ("dev", "test"):
            raise ConfigError(f"break questions need split dev or test, got {spec!r}")
        table = load_break(resolve_data_dir(data_dir) / "raw" / "break" / "QDMR-high-level" / f"{split}.csv",
                           lenient=True)
        rows = table.for_dataset(prefix) if prefix else table.rows
        return [(r.question_id, r.question, r.steps) for r in rows]
    if name in DATASETS and rest:
        dataset = get_dataset(name, data_dir=data_dir)
        fold = rest.removeprefix("fold")
        if rest not in ("pool", "deployed") and not (rest.startswith("fold") and fold.isdigit()):
            raise ConfigError(f"dataset questions are <name>:pool, <name>:deployed or <name>:fold<k>, got {spec!r}")
        if rest == "deployed":
            examples = dataset.deployed()
        elif rest == "pool":
            examples = dataset.pool()
        else:
            examples = gold_split(dataset.pool(), int(fold), N_FOLDS, FOLD_SEED).eval
        return [(e.id, e.question, tuple(e.decomposition)) for e in examples]
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"questions {spec!r}: not a dataset split (e.g. drop:deployed), break:<split> "
                          "or an existing JSONL file")
    return _jsonl(path)
