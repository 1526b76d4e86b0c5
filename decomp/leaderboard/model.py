"""What the leaderboard says, as plain frozen records: `analysis` builds them from result rows, `render`
writes them as Markdown, CSV, JSON and HTML. Keeping the two apart makes the report a pure function of
the rows and lets every format show the same numbers.

Scores are percentages (0-100). Sizes `k` are ints or "all"; they sort numerically with "all" last.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

Size = int | str


def size_key(k: Size) -> tuple[int, int]:
    """Sort key for training sizes: numbers ascending, then 'all'."""
    return (1, 0) if k == "all" else (0, int(k))


def dataset_label(dataset: str, context: str | None) -> str:
    """The dataset as the report names it: HotpotQA's context setting is part of what was measured."""
    return f"{dataset} ({context} context)" if context else dataset


# How the examples of each fold are resampled (`decomp leaderboard --bootstrap`), as the report describes it.
BOOTSTRAPS = {"passages": "evaluation passages, each drawn with all its questions",
              "passages-questions": "evaluation passages, then the questions within each drawn passage"}
DEFAULT_BOOTSTRAP = "passages"


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% bootstrap percentile interval."""

    mean: float
    lo: float
    hi: float


@dataclass(frozen=True)
class CurvePoint:
    """One strategy at one size: mean over seeds and evaluation examples, CI from the bootstrap over seeds and
    evaluation passages (Provenance.bootstrap)."""

    strategy: str
    k: Size
    n_train: float  # mean training-subset size (the x position of 'all')
    n_seeds: int  # runs averaged: (fold, subset seed, training seed) combinations
    n_eval: int  # evaluation examples per run
    em: Interval
    f1: Interval
    run_ids: tuple[str, ...]
    n_passages: int = 0  # evaluation passages per run (= n_eval when the rows record no passage groups)
    n_demonstrations: float | None = None  # mean demonstrations that fit, for readers that learn in context
    units: tuple[tuple[int, int, int], ...] = ()  # the runs' (fold, subset seed, training seed)


@dataclass(frozen=True)
class Difference:
    """strategy minus `baseline` (`none` or `prior`) at one size, paired on the same runs' subsets/seeds and
    evaluation examples. `mde_em`/`mde_f1`: the smallest true difference (points) it detects with 80% power at
    the 5% two-sided level, 2.80 bootstrap standard errors (decomp.leaderboard.bootstrap.detectable)."""

    strategy: str
    k: Size
    n_pairs: int
    em: Interval
    f1: Interval
    baseline: str = "none"
    mde_em: float = 0.0
    mde_f1: float = 0.0

    def mde(self, metric: str) -> float:
        return self.mde_em if metric == "em" else self.mde_f1


@dataclass(frozen=True)
class FoldTable:
    """One fold's own curve points and differences (its units and questions only), for a panel that pools
    several folds."""

    fold: int
    points: tuple[CurvePoint, ...]
    differences: tuple[Difference, ...]


@dataclass(frozen=True)
class CountAnswers:
    """What the final answers to count questions were, summed over a point's runs (`executor_answers`)."""

    strategy: str
    k: Size
    n_answers: int
    share_one: float  # percentage of the answers that are "1"
    top: tuple[tuple[str, int], ...]  # the most frequent answers with their counts


@dataclass(frozen=True)
class CutFit:
    """A fit of a converged budget that reached its step cap before early stopping's patience ran out: its
    last validation rounds were still within patience of the best, so more steps might have helped."""

    strategy: str
    k: Size
    fold: int
    subset_seed: int
    training_seed: int
    cap: int | None
    best_step: int | None
    stop_reason: str


@dataclass(frozen=True)
class CorrectAnswers:
    """A strategy's exactly right answers at one size, summed over the point's runs, set against `prior`'s on
    the same questions of the same cells (fold, subset seed): the share an answer prior explains."""

    strategy: str
    k: Size
    n_questions: int  # evaluated questions, summed over the runs
    n_correct: int  # of them answered with EM 1
    n_prior_too: int | None  # of the correct ones, also right for `prior`; None when no `prior` run pairs
    top: tuple[tuple[str, int], ...]  # the most frequent correct answers with their counts


@dataclass(frozen=True)
class Crossover:
    """The smallest size from which the difference's CI covers or falls below zero at that and every larger
    size. `k` is None when the difference stays significantly positive up to the largest size; `lo`/`hi`
    bound the crossover over bootstrap replicates (None: beyond the largest size in that replicate)."""

    strategy: str
    metric: str  # "em" or "f1"
    k: Size | None
    lo: Size | None
    hi: Size | None
    never_share: float  # share of bootstrap replicates in which the difference never reaches zero


@dataclass(frozen=True)
class Best:
    k: Size
    metric: str
    strategy: str
    score: Interval
    margin_ci_excludes_zero: bool  # whether the best beats the runner-up with a CI above zero


@dataclass(frozen=True)
class Breakdown:
    """Scores on the evaluation examples of one kind: a QDMR operator, a DROP answer type or a HotpotQA
    question type."""

    kind: str  # "operator", "answer_type" or "question_type"
    value: str
    strategy: str
    k: Size
    n_examples: int
    em: Interval
    f1: Interval


@dataclass(frozen=True)
class SourceComparison:
    """The same strategy and size trained/evaluated with gold and with predicted decompositions."""

    strategy: str
    k: Size
    gold: Interval  # F1
    predicted: Interval  # F1
    difference: Interval  # predicted - gold, paired where the runs pair
    source: str = "predicted"  # the predicted side's panel, e.g. "predicted (drop-fold0-minilm.jsonl)"


@dataclass(frozen=True)
class Group:
    """One panel of the report: a dataset, a reader kind and a decomposition source."""

    dataset: str
    reader: str
    decompositions: str  # "gold", "predicted" or "predicted (<predictions file>)"
    sizes: tuple[Size, ...]
    strategies: tuple[str, ...]
    points: tuple[CurvePoint, ...]
    differences: tuple[Difference, ...]
    crossovers: tuple[Crossover, ...]
    best: tuple[Best, ...]
    breakdowns: tuple[Breakdown, ...]
    context: str | None = None  # HotpotQA's context setting (gold / distractor)
    fixed_budget: bool = False  # rows say budget.kind == "fixed": the same steps at every size
    passages_recorded: bool = True  # False: rows lack passage groups, each question is its own passage
    count_answers: tuple[CountAnswers, ...] = ()
    correct_answers: tuple[CorrectAnswers, ...] = ()
    n_fits: int = 0  # reader fits under a converged budget (early stopping on the validation split)
    cut_fits: tuple[CutFit, ...] = ()  # those of them stopped by the step cap, not by early stopping
    n_by_rule: int = 0  # those of them trained to the budget rule: a validation split too small to choose anything
    n_reused: int = 0  # those of them loaded from a fit cache (`budget.reused_fit`), trained by another run
    folds: tuple[int, ...] = ()  # the folds its rows hold, pooled as strata
    n_folds: int | None = None  # the protocol's folds (rows' `n_folds`), None when the rows do not say
    fold_tables: tuple[FoldTable, ...] = ()  # each fold on its own, when the panel pools several
    supervision: tuple[tuple[str, str], ...] = ()  # (strategy, how its steps were supervised), rows' `supervision`

    @property
    def title(self) -> str:
        budget = ", fixed budget" if self.fixed_budget else ""
        dataset = dataset_label(self.dataset, self.context)
        return f"{dataset} / {self.reader} reader / {self.decompositions} decompositions{budget}"


@dataclass(frozen=True)
class Provenance:
    command: str  # the command that wrote this report
    curves: tuple[str, ...]  # curve names of the rows
    run_ids: tuple[str, ...]
    git_commits: tuple[str, ...]
    config_hashes: tuple[str, ...]
    versions: dict = field(default_factory=dict)  # package -> version (rows disagreeing: "a | b")
    hardware: tuple[str, ...] = ()
    n_boot: int = 0
    seed: int = 0
    bootstrap: str = DEFAULT_BOOTSTRAP  # what each fold's bootstrap resamples (BOOTSTRAPS above)
    rows_digest: str = ""  # sha256 of the rows read, in canonical order


@dataclass(frozen=True)
class Leaderboard:
    groups: tuple[Group, ...]
    source_comparisons: tuple[tuple[str, str, tuple[SourceComparison, ...]], ...]  # (dataset, reader, rows)
    provenance: Provenance

    def to_dict(self) -> dict:
        return asdict(self)
