"""The hierarchical bootstrap behind every interval of the leaderboard: over runs and evaluation passages (and,
on request, the questions within them), with folds as strata.

A "unit" is one (fold, subset seed, training seed) combination; each unit has one row per strategy and size.
Questions that share a passage are not independent (a reader that misreads a passage misses all of its questions),
so examples are resampled as a cluster bootstrap (BOOTSTRAPS): the report's default, `passages`, draws P - 1 of a
fold's P passages with replacement, each with all its questions; `passages-questions` draws P passages and then the
questions of each drawn passage with replacement among themselves. Resampling the clusters only is the calibrated
choice (Davison & Hinkley 1997, section 3.8): the spread between passages already holds the spread of the questions
within them, so drawing questions again counts it twice, and when strategies differ question by question the
two-stage intervals cover more than 95% (benchmarks/bootstrap_coverage.py). Drawing P - 1 rather than P is Rao &
Wu's (1988) rescaling bootstrap with m = P - 1: the variance over replicates of a mean of P passages drawn from the
P observed is (P - 1) / P of the unbiased estimate, too narrow when a fold (or a breakdown's kind of question) has
few passages; a mean of P - 1 drawn passages gives the unbiased one. Rows without a passage group (older rows) make
each question its own passage: an example-level bootstrap.

Folds hold disjoint questions and each has its own seeds, so they are strata: units and passages are
resampled within each fold, never across, and a pooled estimate is the mean of the folds' estimates
weighted by their evaluation questions (fixed, not resampled). With one fold the pooled estimate is that
fold's, exactly as an unstratified bootstrap gives it.

One `Draws` holds a whole bootstrap's randomness, drawn once from `np.random.default_rng(seed)` in this order:
`unit_u`, uniforms of shape (n_boot, U), U the units of all folds; then, per fold in ascending order,
`passage_u` of shape (n_boot, P) and `question_u` of shape (n_boot, P, L), P the fold's passages and L its
largest passage's question count. The columns of `unit_u` are split into one block per fold, in ascending order,
as wide as the fold's units (one block of U when the units are given as a count). A sorted list of n units of
one fold is resampled in replicate b as floor(block[b, :n] * n). The examples of a fold, or of one kind within
it, are resampled through the P' passages they come from (numbered in sorted order of passage id): slot j of
replicate b draws passage p = floor(passage_u[b, j] * P') and then its n_p questions (those of the kind, in
sorted id order): all of them once, in slots j < max(P' - 1, 1); or, with `passages-questions`, in slots j < P'
as floor(question_u[b, j, :n_p] * n_p). So every strategy and size with the same units and examples gets the
same resample in a replicate, and differences computed within a replicate are paired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from decomp.leaderboard.model import BOOTSTRAPS, Interval


def resamples_questions(bootstrap: str) -> bool:
    """`Draws.resample_questions` for a bootstrap named in BOOTSTRAPS (ValueError naming the choices)."""
    if bootstrap not in BOOTSTRAPS:
        raise ValueError(f"bootstrap {bootstrap!r} is not one of {', '.join(BOOTSTRAPS)}")
    return bootstrap == "passages-questions"


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
    unit_blocks: dict[int, tuple[int, int]] = field(default_factory=dict)  # fold -> (first column, width)
    # False (the report's default): P - 1 passages are drawn, each with all its questions once; True: P, and
    # their questions are drawn again among themselves. The uniforms are drawn alike either way.
    resample_questions: bool = False

    @classmethod
    def make(cls, units: int | Mapping[int, int], passages: dict[int, np.ndarray], n_boot: int, seed: int,
             resample_questions: bool = False) -> Draws:
        """`units`: fold -> its number of units, or a count (one block every fold shares); `passages`: fold ->
        passage number of each example position (`np.arange(n)`: one per question)."""
        widths = dict(sorted(units.items())) if isinstance(units, Mapping) else {}
        blocks, start = {}, 0
        for fold, width in widths.items():
            blocks[fold], start = (start, width), start + width
        rng = np.random.default_rng(seed)
        unit_u = rng.random((n_boot, start if widths else units))
        passage_u, question_u = {}, {}
        for fold in sorted(passages):
            sizes = np.bincount(passages[fold]) if len(passages[fold]) else np.zeros(0, dtype=np.int64)
            passage_u[fold] = rng.random((n_boot, len(sizes)))
            question_u[fold] = rng.random((n_boot, len(sizes), int(sizes.max(initial=0))))
        return cls(n_boot, unit_u, {f: np.asarray(p) for f, p in passages.items()}, passage_u, question_u,
                   unit_blocks=blocks, resample_questions=resample_questions)

    def unit_indices(self, folds: Sequence) -> np.ndarray:
        """(n_boot, n) indices resampling a sorted list of n units, whose folds are `folds`, within each fold."""
        idx = np.zeros((self.n_boot, len(folds)), dtype=np.int64)
        for fold, at in _strata(folds).items():
            start, width = self.unit_blocks.get(fold, (0, self.unit_u.shape[1]))
            if len(at) > width:
                raise ValueError(f"{len(at)} units of fold {fold} but draws for {width}")
            idx[:, at] = at[(self.unit_u[:, start:start + len(at)] * len(at)).astype(np.int64)]
        return idx

    def example_counts(self, fold: int, positions: np.ndarray) -> np.ndarray:
        """(n_boot, len(positions)): how often each of these examples of `fold` is drawn in each replicate,
        resampling their passages (among these examples, a stratum of the fold when they are one kind of
        example): P' - 1 of their P', each whole, or, with `resample_questions`, P' and then the questions
        within each drawn passage."""
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
        slots = n_passages if self.resample_questions else max(n_passages - 1, 1)  # Rao & Wu: P' - 1 whole
        picked = (self.passage_u[fold][:, :slots] * n_passages).astype(np.int64)  # (B, slots)
        n_picked = sizes[picked]
        if self.resample_questions:
            within = (self.question_u[fold][:, :slots, :largest] * n_picked[:, :, None]).astype(np.int64)
        else:
            within = np.broadcast_to(np.arange(largest), (n_boot, slots, largest))
        drawn = np.arange(largest) < n_picked[:, :, None]  # (B, slots, L'): the n_p draws of each slot
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


def over_units(draws: Draws, point: np.ndarray, reps: np.ndarray, folds: Sequence | None = None,
               weights: Mapping[int, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean over a sorted list of units (`folds`: each unit's fold; None: one fold): point (2,) and per
    replicate (n_boot, 2), resampling the units within each fold. Folds pool as strata, weighted by
    `weights` (fold -> its evaluation questions; default: each fold's questions in `draws`)."""
    folds = [0] * point.shape[0] if folds is None else list(folds)
    picked = np.take_along_axis(reps, draws.unit_indices(folds)[:, :, None], axis=1)  # (B, n, 2)
    strata = _strata(folds)
    if len(strata) == 1:  # a single stratum is its own pooled estimate (no weighting to round differently)
        return point.mean(axis=0), _nan_mean(picked)
    sizes = weights if weights is not None else {f: len(p) for f, p in draws.passages.items()}
    w = np.array([float(sizes[f]) for f in strata])
    means = np.stack([point[at].mean(axis=0) for at in strata.values()])  # (F, 2)
    fold_reps = np.stack([_nan_mean(picked[:, at]) for at in strata.values()], axis=1)  # (B, F, 2)
    have = ~np.isnan(fold_reps)
    with np.errstate(invalid="ignore"):  # a replicate with no examples in any fold stays NaN
        rep = (np.where(have, fold_reps, 0) * w[:, None]).sum(axis=1) / (have * w[:, None]).sum(axis=1)
    return w @ means / w.sum(), rep


def _nan_mean(picked: np.ndarray) -> np.ndarray:
    """Mean over axis 1, leaving out NaN (a resampled run that drew none of its examples)."""
    have = ~np.isnan(picked)
    if have.all():
        return picked.mean(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(have, picked, 0).sum(axis=1) / have.sum(axis=1)


def _strata(folds: Sequence) -> dict:
    """fold -> positions of its units in `folds`, folds in ascending order."""
    found: dict = {}
    for i, fold in enumerate(folds):
        found.setdefault(fold, []).append(i)
    return {f: np.array(found[f]) for f in sorted(found)}


# 80% power at the 5% two-sided level: a true difference this many standard errors from 0 puts the
# interval clear of 0 in 80% of studies.
MDE_Z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.80)


def detectable(reps: np.ndarray, scale: float = 100.0) -> float:
    """The minimum detectable effect of a difference: MDE_Z x its bootstrap standard error (the standard
    deviation of its replicates, NaN left out), x `scale`, rounded like `interval`."""
    reps = reps[~np.isnan(reps)]
    return r4(MDE_Z * reps.std(ddof=1) * scale) if reps.size > 1 else 0.0


def interval(point: float, reps: np.ndarray, scale: float = 100.0) -> Interval:
    """Point estimate and 2.5/97.5 percentiles of the replicates (NaN replicates left out), x `scale`,
    rounded to 4 decimals so that reports are stable."""
    reps = reps[~np.isnan(reps)]
    lo, hi = np.percentile(reps, [2.5, 97.5]) if reps.size else (point, point)
    return Interval(r4(point * scale), r4(lo * scale), r4(hi * scale))


def r4(x: float) -> float:
    return round(float(x), 4) + 0.0  # + 0.0 turns -0.0 into 0.0
