"""Where a dataset's files come from: the shared layout (the default), a folder in the official layout, or the hub.

A source is named in configuration as `shared` (or nothing), `hub`, or a folder path. Every file a folder
source needs is checked before it is read: a missing file or a file in the wrong layout is an error that
names the file and what was expected, never an empty dataset.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from decomp.data.sources.break_ import HUB_NAME as BREAK_HUB
from decomp.data.sources.break_ import BreakTable, load_break_csv, load_break_hub
from decomp.errors import ConfigError, DataError

SHARED, HUB, FOLDER = "shared", "hub", "folder"
BREAK_CONFIGS = ("QDMR-high-level", "QDMR")
BREAK_SPLITS = ("train", "dev", "test")
HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}  # BREAK/DROP/HotpotQA hub split names


@dataclass(frozen=True)
class Source:
    """One configured source: kind `shared`, `hub` or `folder` (then `path`), and the option that named it."""

    kind: str
    path: Path | None = None
    option: str = "source"

    def describe(self) -> str:
        return str(self.path) if self.kind == FOLDER else self.kind

    def file(self, name: str, what: str) -> Path:
        """A file of a folder source; missing -> ConfigError naming the path, the option and what it is."""
        assert self.path is not None
        path = self.path / name
        if not path.is_file():
            raise ConfigError(f"{self.option}: {what} not found: {path} (expected the official file {name} "
                              f"in {self.path})")
        return path


def parse_source(value: str | Path | None, option: str = "source") -> Source:
    """`None`/`shared` -> the shared layout, `hub` -> the Hugging Face hub, else an existing folder."""
    text = "" if value is None else str(value).strip()
    if text in ("", SHARED):
        return Source(SHARED, None, option)
    if text == HUB:
        return Source(HUB, None, option)
    path = Path(text).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{option}: {text!r} is not 'shared', 'hub' or an existing folder")
    return Source(FOLDER, path, option)


def break_file(source: Source, data_dir: Path | None, config: str, split: str) -> Path:
    """The CSV of one BREAK split: `<raw/break | folder>/<config>/<split>.csv` (or `<folder>/<split>.csv`
    where the folder is the config folder itself)."""
    if source.kind == SHARED:
        assert data_dir is not None
        return data_dir / "raw" / "break" / config / f"{split}.csv"
    assert source.path is not None
    root = source.path if source.path.name == config else source.path / config
    return root / f"{split}.csv"


def check_break_split(table: BreakTable, split: str) -> BreakTable:
    """BREAK's `split` column must say `split`: a dev file where train is expected is an error."""
    found = Counter(r.split for r in table.rows if r.split)
    wrong = {s: n for s, n in found.items() if s != split}
    if wrong:
        raise DataError(f"expected BREAK {split} rows, but the file's split column says {dict(found)} "
                        f"(a {max(wrong, key=wrong.get)} file where {split} is expected?)", file=table.path,
                        field="split")
    if not table.rows:
        raise DataError(f"no BREAK {split} rows", file=table.path)
    return table


def load_break_split(source: Source, data_dir: Path | None, config: str, split: str,
                     lenient: bool = True) -> BreakTable:
    """One BREAK split from the shared layout, an official folder, or the hub (`break_data`, `config`)."""
    if config not in BREAK_CONFIGS:
        raise ConfigError(f"break_config must be one of {BREAK_CONFIGS}, got {config!r}")
    if split not in BREAK_SPLITS:
        raise ConfigError(f"BREAK split must be one of {BREAK_SPLITS}, got {split!r}")
    if source.kind == HUB:
        return check_break_split(load_break_hub(config, HUB_SPLITS[split], lenient=lenient), split)
    return check_break_split(load_break_csv(existing_break_file(source, data_dir, config, split), lenient=lenient),
                             split)


def existing_break_file(source: Source, data_dir: Path | None, config: str, split: str) -> Path:
    """`break_file`, which must exist: else a ConfigError naming the path and the layout expected."""
    path = break_file(source, data_dir, config, split)
    if not path.is_file():
        where = "the shared layout has BREAK dev and test only; " if source.kind == SHARED and split == "train" else ""
        raise ConfigError(f"{source.option}: BREAK {split} file not found: {path} ({where}expected the official "
                          f"layout <folder>/{config}/{{train,dev,test}}.csv; see decomp/data/cards/break.yaml)")
    return path


def break_key(source: Source, data_dir: Path | None, config: str, split: str) -> str:
    """What identifies a BREAK split's input in a cache key: its path, or its hub name."""
    if source.kind == HUB:
        return f"{BREAK_HUB}/{config}/{HUB_SPLITS[split]}"
    return str(existing_break_file(source, data_dir, config, split))


def _head(path: Path, size: int = 1 << 16) -> str:
    import gzip

    with open(path, "rb") as f:
        raw = f.read(size)
    if raw[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            raw = f.read(size)
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def check_json_layout(path: Path, opening: str, expected: str) -> Path:
    """The official DROP JSON is one object (`{`), HotpotQA's one array (`[`): a JSON-lines file (simple-evals'
    flattened DROP, a processed HotpotQA copy) or the other dataset's file is named as such, with the file."""
    head = _head(path)
    first_line = head.split("\n", 1)[0]
    flattened = False
    if "\n" in head.strip() and first_line.rstrip().endswith("}") and first_line.startswith("{"):
        import json

        try:
            flattened = isinstance(json.loads(first_line), dict)
        except ValueError:
            flattened = False
    if head[:1] != opening or flattened:
        kind = ("a JSON-lines file" + (" (simple-evals' flattened DROP)" if '"ref_text"' in first_line else "")
                if flattened else f"a file starting with {head[:1]!r}")
        raise DataError(f"expected {expected}, found {kind}", file=str(path))
    return path
