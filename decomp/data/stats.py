"""`decomp data stats`: what each dataset's joins found and what its pool looks like."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from decomp.data.cards import card_lines, check_registry
from decomp.data.datasets import DATASETS, get_dataset
from decomp.data.schema import Example
from decomp.errors import ConfigError


def histogram(counter: Counter, by_key: bool = False, width: int = 110) -> str:
    """`key: n` pairs, most common first (or in key order), wrapped to `width`."""
    keys = sorted(counter) if by_key else [k for k, _ in counter.most_common()]
    lines, line = [], "   "
    for k in keys:
        item = f" {k}: {counter[k]:,}"
        if len(line) + len(item) > width:
            lines.append(line)
            line = "   "
        line += item
    return "\n".join([*lines, line])


def pool_lines(examples: Sequence[Example]) -> list[str]:
    steps = Counter(min(len(e.decomposition), 6) for e in examples)
    steps_named = Counter({("6+" if k == 6 else k): v for k, v in steps.items()})
    operators = Counter(op for e in examples for op in e.operators)
    types = Counter(e.answer_type for e in examples)
    mean = sum(len(e.decomposition) for e in examples) / max(1, len(examples))
    return [f"  steps per decomposition (mean {mean:.2f}):",
            histogram(Counter({str(k): v for k, v in steps_named.items()}), by_key=True),
            "  operators:", histogram(operators),
            "  answer types:", histogram(types),
            f"  passage groups: {len({e.group for e in examples}):,}"]


def dataset_lines(name: str, **options) -> list[str]:
    dataset = get_dataset(name, **options)
    lines = [f"== {name}", *card_lines(name),
             "  configured: " + ", ".join(f"{k}={v}" for k, v in {**dataset.sources(), **dataset.describe()}.items())]
    for s in dataset.summaries():
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(s.statuses.items()))
        lines.append(f"  {s.label}: {s.joined:,}/{s.total:,} joined, {s.total - s.joined:,} unjoined "
                     f"({statuses}); gold-decomposed pool {s.pool:,}")
        lines.extend(f"    skipped/invalid: {problem}" for problem in s.invalid)
    lines.extend(f"  {note}" for note in dataset.notes())
    if any(s.label.endswith("/train") for s in dataset.summaries()):
        train = dataset.train_pool()
        lines.append(f"  BREAK-train pool (the splits protocol's training side): {len(train):,} questions on "
                     f"{len({e.group for e in train}):,} passage groups")
    pool, deployed = dataset.pool(), dataset.deployed()
    lines.append(f"  gold pool: {len(pool):,} questions")
    lines.extend(pool_lines(pool))
    lines.append(f"  deployed evaluation set: {len(deployed):,} questions on "
                 f"{len({e.group for e in deployed}):,} passage groups (no gold decomposition, "
                 "no passage shared with the pool)")
    return lines


def print_stats(which: str = "all", data_dir: str | Path | None = None, lenient: bool = True,
                n_synthetic: int = 1000, **sources) -> None:
    """Print every carded dataset (or one); `sources` (source, break_source, context, ...) need one dataset."""
    check_registry(DATASETS)
    if which != "all" and which not in DATASETS:
        raise ConfigError(f"unknown dataset {which!r}; the cards declare: {', '.join(sorted(DATASETS))}")
    given = {k: v for k, v in sources.items() if v is not None}
    if given and (which == "all" or DATASETS[which].generated):
        read = " or ".join(n for n in sorted(DATASETS) if not DATASETS[n].generated)
        raise ConfigError(f"--{next(iter(given)).replace('_', '-')} needs --dataset {read}")
    # A config's data section, from which each dataset takes its options (`synthetic`: the generated set's).
    data = {"data_dir": data_dir, "lenient": lenient, **given, "synthetic": {"n": n_synthetic}}
    for name in sorted(DATASETS) if which == "all" else [which]:
        print("\n".join(dataset_lines(name, **DATASETS[name].options(data))), flush=True)
