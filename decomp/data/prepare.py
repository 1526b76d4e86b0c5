"""`decomp data prepare`: build a dataset's joined tables from its configured sources into `data/` (the
checkout's, else the current folder's; git ignores both folders): the Arrow cache runs read (`data/cache`,
with DECOMP_CACHE_DIR pointed there) and readable JSONL tables (`data/prepared/<dataset>/<sources tag>/
<set>.jsonl`), plus, for the questions BREAK does not decompose, a questions file `decomp decompose --input`
takes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from decomp.data.datasets import get_dataset
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.hashing import json_digest

SETS = ("train_pool", "pool", "deployed", "silver:train", "silver:dev")


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)


def data_root() -> Path:
    """The checkout's `data/` when the package runs from one (as the README's commands expect), else
    `./data`: an installed package's own folder is no place for outputs."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout / "data" if (checkout / "pyproject.toml").is_file() else Path("data")


def _build(dataset, name: str) -> list[Example]:
    if name.startswith("silver:"):
        return dataset.silver(name.partition(":")[2])
    return getattr(dataset, name)()


def prepare(name: str, out_dir: str | Path | None = None, cache_dir: str | Path | None = None,
            **options) -> list[tuple[str, int | str, Path | None]]:
    """Build every set the sources allow; returns (set, size or why not, file) per set."""
    root = data_root()
    dataset = get_dataset(name, **options)
    dataset.cache_dir = Path(cache_dir) if cache_dir else root / "cache"
    sources = dataset.sources()
    tag = "-".join(dict.fromkeys((dataset.source.kind, dataset.break_source.kind))) + "-" + \
        json_digest(sources, 8, default=None)
    target = Path(out_dir) if out_dir else root / "prepared" / name / tag
    done: list[tuple[str, int | str, Path | None]] = []
    for set_name in SETS:
        try:
            examples = _build(dataset, set_name)
        except ConfigError as exc:  # a set these sources cannot give (no train split, ...): said, not fatal
            done.append((set_name, f"not available: {exc}", None))
            continue
        path = target / f"{set_name.replace(':', '-')}.jsonl"
        _write_jsonl(path, (e.to_dict() for e in examples))
        if set_name.startswith("silver:"):
            _write_jsonl(path.with_suffix(".questions.jsonl"), ({"id": e.id, "question": e.question} for e in examples))
        done.append((set_name, len(examples), path))
    _write_jsonl(target / "sources.jsonl", [{"dataset": name, **sources, **dataset.describe()}])
    return done


def print_prepare(name: str, out_dir: str | Path | None = None, cache_dir: str | Path | None = None,
                  **options) -> None:
    done = prepare(name, out_dir, cache_dir, **options)
    for set_name, size, path in done:
        print(f"{name} {set_name}: " + (f"{size:,} questions -> {path}" if path else str(size)), flush=True)
    cache = Path(cache_dir) if cache_dir else data_root() / "cache"
    print(f"Arrow cache in {cache}: runs use it with DECOMP_CACHE_DIR={cache}")
