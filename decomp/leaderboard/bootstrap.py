"""The hierarchical bootstrap behind every interval of the leaderboard: over runs, evaluation passages and the
questions within them.

A "unit" is one (fold, subset seed, training seed) combination; each unit has one row per strategy and size.
Questions that share a passage are not independent (a reader that misreads a passage misses all of its
questions), so examples are resampled as a two-stage cluster bootstrap: passages with replacement, then the
questions of each drawn passage with replacement among themselves. Rows without a passage group (older
rows) make each question its own passage, which is the plain example-level bootstrap.

One `Draws` holds a whole bootstrap's randomness, drawn once from `np.random.default_rng(seed)` in this
order: `unit_u`, uniforms of shape (n_boot, n_units); then, per fold in ascending order, `passage_u` of
shape (n_boot, P) and `question_u` of shape (n_boot, P, L), P the fold's passages and L its largest
passage's question count. A sorted list of n units is resampled in replicate b as the indices
floor(unit_u[b, :n] * n). The examples of a fold, or of one kind within it, are resampled through the P'
passages they come from (numbered in sorted order of passage id): slot j of replicate b draws passage
p = floor(passage_u[b, j] * P') and then its n_p questions (those of the kind, in sorted id order) as
floor(question_u[b, j, :n_p] * n_p). So every strategy and size with the same units and examples gets the
same resample in a replicate, and differences computed within a replicate are paired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from decomp.leaderboard.model import Interval


@dataclass(frozen=True)
class Scores:
    """One run's per-example scores laid out on its fold's sorted example ids (`mask`: the ids it has)."""

    fold: int
    values: np.ndarray  # (2, n_fold): em and f1 in [0, 1], zero where mask is False
    mask: np.ndarray  # (n_fold,) bool

    def minus(self, other: Scores) -> Scores:
        """Per-example difference, on the examples both runs scored (pairing by example id)."""
        mask = self.mask & other.mask
        return Scores(self.fold, (self.values - other.values) * mask, mask)


@dataclass
class Draws:
    """The random draws of one bootstrap (see the module docstring for their exact order and use).
    `passages[fold]` gives each of the fold's example positions its passage number (0..P-1)."""

    n_boot: int
    unit_u: np.ndarray
    passages: dict[int, np.ndarray]
    passage_u: dict[int, np.ndarray]
    question_u: dict[int, np.ndarray]
    _counts: dict = field(default_factory=dict)

    @classmethod
    def make(cls, n_units: int, passages: dict[int, np.ndarray], n_boot: int, seed: int) -> Draws:
        """`passages`: fold -> passage number of each example position (`np.arange(n)`: one per question)."""
        rng = np.random.default_rng(seed)
        unit_u = rng.random((n_boot, n_units))
        passage_u, question_u = {}, {}
        for fold in sorted(passages):
            sizes = np.bincount(passages[fold]) if len(passages[fold]) else np.zeros(0, dtype=np.int64)
            passage_u[fold] = rng.random((n_boot, len(sizes)))
            question_u[fold] = rng.random((n_boot, len(sizes), int(sizes.max(initial=0))))
        return cls(n_boot, unit_u, {f: np.asarray(p) for f, p in passages.items()}, passage_u, question_u)

    def unit_indices(self, n: int) -> np.ndarray:
        """(n_boot, n) indices resampling a sorted list of n units."""
        return (self.unit_u[:, :n] * n).astype(np.int64)

    def example_counts(self, fold: int, positions: np.ndarray) -> np.ndarray:
        """(n_boot, len(positions)): how often each of these examples of `fold` is drawn in each replicate,
        resampling their passages and then the questions within each drawn passage (among these examples,
        a stratum of the fold when they are one kind of example)."""
        key = (fold, positions.tobytes())
        if key not in self._counts:
            self._counts[key] = self._count(fold, np.asarray(positions))
        return self._counts[key]

    def _count(self, fold: int, positions: np.ndarray) -> np.ndarray:
        m, n_boot = len(positions), self.n_boot
        _, local = np.unique(self.passages[fold][positions], return_inverse=True)  # passage 0..P'-1
        sizes = np.bincount(local)
        members = np.argsort(local, kind="stable")  # examples grouped by passage, in position order
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        n_passages, largest = len(sizes), int(sizes.max())
        picked = (self.passage_u[fold][:, :n_passages] * n_passages).astype(np.int64)  # (B, P')
        n_picked = sizes[picked]
        within = (self.question_u[fold][:, :n_passages, :largest] * n_picked[:, :, None]).astype(np.int64)
        drawn = np.arange(largest) < n_picked[:, :, None]  # (B, P', L'): the n_p draws of each slot
        example = members[np.minimum(starts[picked][:, :, None] + within, m - 1)]
        flat = (example + m * np.arange(n_boot)[:, None, None])[drawn]
        return np.bincount(flat, minlength=m * n_boot).reshape(n_boot, m)


def unit_means(draws: Draws, runs: list[Scores], strata: dict[int, np.ndarray] | None = None,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Mean score of each run over its examples (restricted to `strata`: fold -> example positions):
    point (n_runs, 2) and per replicate (n_boot, n_runs, 2); NaN where a replicate drew none of a run's
    examples (possible only when runs of one fold scored different examples)."""
    point = np.full((len(runs), 2), np.nan)
    reps = np.full((draws.n_boot, len(runs), 2), np.nan)
    for fold in sorted({r.fold for r in runs}):
        which = [i for i, r in enumerate(runs) if r.fold == fold]
        pos = strata[fold] if strata is not None else np.arange(len(runs[which[0]].mask))
        values = np.stack([runs[i].values[:, pos] for i in which])  # (R, 2, m)
        mask = np.stack([runs[i].mask[pos] for i in which]).astype(float)  # (R, m)
        counts = draws.example_counts(fold, pos).astype(float)  # (B, m)
        num = (counts @ values.reshape(-1, len(pos)).T).reshape(draws.n_boot, len(which), 2)
        den = (counts @ mask.T)[:, :, None]
        with np.errstate(invalid="ignore"):  # values are 0 off the mask, so no examples drawn gives 0/0 = NaN
            reps[:, which] = num / den
            point[which] = values.sum(axis=2) / mask.sum(axis=1)[:, None]
    return point, reps


def over_units(draws: Draws, point: np.ndarray, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over a sorted list of units: point (2,) and per replicate (n_boot, 2), resampling the units."""
    idx = draws.unit_indices(point.shape[0])
    picked = np.take_along_axis(reps, idx[:, :, None], axis=1)  # (B, n, 2)
    have = ~np.isnan(picked)
    if have.all():
        return point.mean(axis=0), picked.mean(axis=1)
    with np.errstate(invalid="ignore"):
        rep = np.where(have, picked, 0).sum(axis=1) / have.sum(axis=1)
    return point.mean(axis=0), rep


def interval(point: float, reps: np.ndarray, scale: float = 100.0) -> Interval:
    """Point estimate and 2.5/97.5 percentiles of the replicates (NaN replicates left out), x `scale`,
    rounded to 4 decimals so that reports are stable."""
    reps = reps[~np.isnan(reps)]
    lo, hi = np.percentile(reps, [2.5, 97.5]) if reps.size else (point, point)
    return Interval(r4(point * scale), r4(lo * scale), r4(hi * scale))


def r4(x: float) -> float:
    return round(float(x), 4) + 0.0  # + 0.0 turns -0.0 into 0.0
