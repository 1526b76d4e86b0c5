"""Evaluation protocols and training subsets for learning curves.

- `gold`: the gold-decomposed pool is split by passage group into K seeded folds; fold f is evaluated
  and training subsets come from the other folds, so over all folds every pool question is scored once.
- `deployed`: train on the whole pool; evaluate on questions sharing no passage with it.
- `splits` (the reference study's): train on BREAK train joined to its source, evaluate on BREAK dev joined.
Subsets are nested (the k=50 draw lies inside the k=100 draw for the same subset seed) and independent
of the strategy, so strategy differences at one (k, seed) are paired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.hashing import seeded_rank  # platform-independent: no reliance on `random` internals

# name -> version recorded in result rows
PROTOCOLS = {"gold": "gold-v1", "deployed": "deployed-v1", "splits": "splits-v1"}
ALL = "all"


@dataclass(frozen=True)
class Split:
    protocol: str
    fold: int | None
    train: list[Example]
    eval: list[Example]

    @property
    def version(self) -> str:
        return PROTOCOLS[self.protocol]


def assign_folds(examples: Sequence[Example], n_folds: int = 5, seed: int = 0) -> dict[str, int]:
    """Map each passage group to a fold, balancing the number of questions per fold.

    Groups are visited in a seeded order, largest first among equals of that order, and each goes to
    the fold with the fewest questions so far (ties to the lowest fold index): deterministic.
    """
    if n_folds < 2:
        raise ConfigError(f"n_folds must be at least 2, got {n_folds}")
    sizes = Counter(e.group for e in examples)
    if any(not g for g in sizes):
        raise ConfigError("every example needs a passage group to be split without leakage")
    if len(sizes) < n_folds:
        raise ConfigError(f"{len(sizes)} passage groups cannot fill {n_folds} folds")
    order = sorted(sizes, key=lambda g: (-sizes[g], seeded_rank(seed, g)))
    load = [0] * n_folds
    folds: dict[str, int] = {}
    for group in order:
        f = min(range(n_folds), key=lambda i: (load[i], i))
        folds[group] = f
        load[f] += sizes[group]
    return folds


def gold_split(pool: Sequence[Example], fold: int, n_folds: int = 5, seed: int = 0) -> Split:
    """Fold `fold` is the evaluation set; the other folds are the training side."""
    if not 0 <= fold < n_folds:
        raise ConfigError(f"fold must be in 0..{n_folds - 1}, got {fold}")
    folds = assign_folds(pool, n_folds, seed)
    train = [e for e in pool if folds[e.group] != fold]
    held = [e for e in pool if folds[e.group] == fold]
    return Split("gold", fold, train, held)


def check_disjoint(train: Sequence[Example], eval_set: Sequence[Example], what: str) -> None:
    """No evaluation question or passage on the training side: ConfigError naming a few that are."""
    # Groups of different sources may use different keys (section id vs passage hash): check both, and ids.
    shared = {f"group {g}" for g in {e.group for e in train} & {e.group for e in eval_set}}
    shared |= {f"passage {p[:40]!r}..." for p in {e.passage for e in train} & {e.passage for e in eval_set}}
    shared |= {f"question {i}" for i in {e.id for e in train} & {e.id for e in eval_set}}
    if shared:
        raise ConfigError(f"{what}: the training side shares {len(shared)} question(s)/passage(s) with the "
                          f"evaluation set, e.g. {sorted(shared)[:3]}")


def deployed_split(pool: Sequence[Example], eval_set: Sequence[Example]) -> Split:
    """Train on the pool, evaluate on questions whose passages the pool never saw."""
    check_disjoint(pool, eval_set, "deployed protocol")
    return Split("deployed", None, list(pool), list(eval_set))


def splits_split(train: Sequence[Example], eval_set: Sequence[Example]) -> Split:
    """The reference study's protocol: BREAK train (joined) for training, BREAK dev (joined) for evaluation."""
    check_disjoint(train, eval_set, "splits protocol")
    return Split("splits", None, list(train), list(eval_set))


def parse_size(k: int | str) -> int | str:
    """A training size: a number of questions (0: the zero-shot point, no training), or 'all'."""
    if isinstance(k, str) and k.strip().lower() == ALL:
        return ALL
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise ConfigError(f"training size must be a non-negative integer or 'all', got {k!r}") from None
    if value < 0 or isinstance(k, bool):
        raise ConfigError(f"training size must be a non-negative integer or 'all', got {k!r}")
    return value


def nested_subset(train: Sequence[Example], k: int | str, subset_seed: int,
                  extension: Sequence[Example] = ()) -> list[Example]:
    """The first k questions of a seeded order of the training side (so smaller k nest in larger).

    `extension` (questions with predicted decompositions) follows every gold question in its own seeded
    order: sizes up to the gold side draw exactly what a gold-only curve draws, larger ones go past it.
    """
    size = parse_size(k)
    ordered = [*sorted(train, key=lambda e: seeded_rank(subset_seed, e.id)),
               *sorted(extension, key=lambda e: seeded_rank(subset_seed, e.id))]
    if size == ALL:
        return ordered
    if size > len(ordered):
        raise ConfigError(f"k={size} exceeds the {len(ordered)} questions on the training side")
    return ordered[:size]


def carve_validation(subset: Sequence[Example], fraction: float = 0.2, seed: int = 0,
                     minimum: int = 1) -> tuple[list[Example], list[Example]]:
    """Split a training subset into (fit, validation) for tuning; never touches the evaluation set."""
    if not 0 < fraction < 1:
        raise ConfigError(f"validation fraction must be in (0, 1), got {fraction}")
    if len(subset) < 2:
        raise ConfigError(f"cannot carve a validation split from {len(subset)} question(s)")
    n_val = min(len(subset) - 1, max(minimum, round(fraction * len(subset))))
    ordered = sorted(subset, key=lambda e: seeded_rank(seed, "val:" + e.id))
    return ordered[n_val:], ordered[:n_val]
