"""`decomp traces`: read the questions that carry an effect, one by one, beside the baselines' answers.

Before an effect goes into the notes it is checked against `prior` (reads nothing) and read in its traces.
This command selects a strategy's runs at one size from a results file, picks the questions by what they show
(`correct`, `wrong`, `gained`/`lost` against the first baseline, or `all`), and prints for each: the question
and gold answers, the strategy's answer and every step of its trace (from the run's predictions file, see
`decomp.curves.predictions`), and each baseline's answer on the same question (paired by example id, on the
baseline's run with the same fold, size and subset seed). A summary says how many of the selected answers the
first baseline also gets right, which answers are most frequent (a constant answer shows up at once), what kind
they are (a number, one of the two options a question names, another span) and how much F1 the answers
without an exact match earn (a reader that finds the right entity but cuts its span). With `where` (HotpotQA),
each answer is looked up in the question's paragraphs as the run saw them: found in supporting paragraphs
only, in distractors only, in both, or in neither (a generated or executed answer, or spans joined): a reader
that answers from distractors as often as they make up the context has not found the supporting ones.
`without_constants` (`--which all --without-constants SHARE`) tests whether a constant answer carries a
difference: the strategy against the first baseline on every question, then only where neither gives an
answer its run gives to at least SHARE of the questions (DROP readers answer "2" or "1" to most count questions).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from decomp.curves.predictions import predictions_path, read_predictions
from decomp.curves.store import read_rows, results_path
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.strategies.prior import choice

WHICH = ("correct", "wrong", "gained", "lost", "all")
KINDS = ("number", "two-way choice", "span")
SOURCES = ("supporting only", "distractors only", "both", "neither")
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def answer_kind(question: str | None, prediction: str) -> str:
    """`two-way choice` when the question names two options (as `prior` reads them; a "how many" question is
    never one), else `number` for a bare number, else `span`. Without the question (runs made before traces
    were kept) a choice cannot be told: the answer is a number or a span."""
    if question and not question.lower().startswith(("how many", "how much")) and choice(question):
        return "two-way choice"
    return "number" if _NUMBER.fullmatch(prediction.strip()) else "span"


def answer_source(example: Example, prediction: str) -> tuple[str, list[str]]:
    """Where the answer stands, as written and as whole words, in the question's paragraphs: one of `SOURCES`,
    and the titles of the paragraphs that hold it ("no" is not found in "Ignacio")."""
    supporting, text = example.supporting_titles(), prediction.strip()
    words = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")
    titles = [p.title for p in example.context if text and words.search(p.text)]
    in_supporting = any(t in supporting for t in titles)
    in_distractors = any(t not in supporting for t in titles)
    source = {(True, False): SOURCES[0], (False, True): SOURCES[1], (True, True): SOURCES[2],
              (False, False): SOURCES[3]}[in_supporting, in_distractors]
    return source, titles


@dataclass
class Answer:
    strategy: str
    prediction: str
    em: float
    f1: float


@dataclass
class TraceView:
    """One question of one run, with what each baseline answered."""

    run_id: str
    example_id: str
    operators: list[str]
    answer: Answer
    baselines: list[Answer]
    question: str | None = None
    gold: list[list[str]] | None = None
    steps: list[dict] = field(default_factory=list)
    kind: str = ""  # answer_kind of the question and the strategy's answer
    source: str | None = None  # answer_source, with `where`
    source_titles: list[str] = field(default_factory=list)


@dataclass
class Selection:
    strategy: str
    k: str
    which: str
    baselines: list[str]
    runs: list[str]
    n_questions: int  # evaluated questions over the selected runs (those with `operator`, when given)
    views: list[TraceView]  # every selected question (the printout shows the first `limit`)
    missing_traces: list[str]  # runs without a predictions file
    operator: str | None = None  # only questions whose decomposition uses this operator
    supporting_share: float | None = None  # with `where`: supporting paragraphs / all, over the selected questions

    def summary(self) -> list[str]:
        n = len(self.views)
        scope = f" to questions with an {self.operator!r} step" if self.operator else ""
        lines = [f"{self.strategy} at k={self.k}: {n} {self.which} of {self.n_questions} answers{scope} "
                 f"({len(self.runs)} run(s))"]
        if not n:
            return lines
        for name in self.baselines:
            right = sum(any(b.strategy == name and b.em > 0 for b in v.baselines) for v in self.views)
            paired = sum(any(b.strategy == name for b in v.baselines) for v in self.views)
            lines.append(f"  {name} is right on {right} of these {n} (its run answers {paired} of them)")
        common = Counter(v.answer.prediction for v in self.views).most_common(5)
        lines.append("  most frequent answers: " + ", ".join(f"{a!r} x{c}" for a, c in common))
        kinds, first = [], self.baselines[0] if self.baselines else None
        for kind in KINDS:
            here = [v for v in self.views if v.kind == kind]
            if here:
                right = sum(any(b.strategy == first and b.em > 0 for b in v.baselines) for v in here)
                kinds.append(f"{kind} {len(here)}" + (f" ({first} right on {right})" if first else ""))
        lines.append("  by kind: " + ", ".join(kinds))
        partial = [v for v in self.views if v.answer.em == 0 and v.answer.f1 > 0]
        if partial:
            lines.append(f"  F1 without an exact match: {sum(v.answer.f1 for v in partial):.1f} questions' worth, "
                         f"from {len(partial)} answers")
        if self.supporting_share is not None:
            found = Counter(v.source for v in self.views)
            lines.append("  found in: " + ", ".join(f"{s} {found[s]}" for s in SOURCES)
                         + f" (supporting paragraphs are {100 * self.supporting_share:.0f}% of these questions' "
                           "paragraphs)")
        return lines


def _key(row: dict) -> tuple:
    return row["fold"], str(row["k"]), row["subset_seed"]


def _rows_file(path: Path) -> Path:
    return results_path(path) if path.is_dir() else path


def select(rows_file: str | Path, strategy: str, k: str, which: str = "correct",
           baselines: tuple[str, ...] = ("prior", "none"), subset_seeds: tuple[int, ...] | None = None,
           operator: str | None = None, where: bool = False) -> Selection:
    """The selected questions of `strategy`'s runs at size `k` (a number or `all`) in `rows_file` (a
    results.jsonl, or the run folder holding it); with `operator`, only questions whose gold decomposition
    has a step of that operator (e.g. `aggregate`: the count questions); with `where`, where each answer
    stands in the question's paragraphs (the dataset is read from the data folder)."""
    if which not in WHICH:
        raise ConfigError(f"--which must be one of {', '.join(WHICH)}, got {which!r}")
    path = _rows_file(Path(rows_file))
    if not path.exists():
        raise ConfigError(f"--rows: no results file at {path}")
    rows, skipped = read_rows(path)
    mine = [r for r in rows if r["strategy"] == strategy and str(r["k"]) == str(k)
            and (subset_seeds is None or r["subset_seed"] in subset_seeds)]
    if not mine:
        at_k = [r for r in rows if r["strategy"] == strategy and str(r["k"]) == str(k)]
        if at_k:  # the size is there, the asked subset seeds are not
            seeds = ", ".join(str(s) for s in sorted({r["subset_seed"] for r in at_k}))
            raise ConfigError(f"{path}: no row of strategy {strategy!r} at k={k} with --subset-seed "
                              f"{', '.join(map(str, subset_seeds or ()))}; its subset seeds are {seeds}")
        have = sorted({f"{r['strategy']}@{r['k']}" for r in rows})
        cut = f" ({skipped} cut-short line(s) skipped)" if skipped else ""
        raise ConfigError(f"{path}: no row of strategy {strategy!r} at k={k}; it has {', '.join(have) or 'none'}{cut}")
    examples = _paragraphs(path, mine) if where else None
    baselines = tuple(b for b in baselines if b != strategy)
    if which in ("gained", "lost") and not baselines:
        raise ConfigError(f"--which {which} compares with the first --baseline; give one")
    by_cell: dict[tuple, dict[str, list[dict]]] = {}
    for r in rows:
        by_cell.setdefault(_key(r), {}).setdefault(r["strategy"], []).append(r)
    views, missing, n_questions = [], [], 0
    for row in sorted(mine, key=lambda r: (r["fold"], r["subset_seed"], r["training_seed"])):
        trace_file = predictions_path(path.parent, row["run_id"])
        traces = read_predictions(trace_file) if trace_file.exists() else {}
        if not traces:
            missing.append(row["run_id"])
        paired = {}
        for name in baselines:
            candidates = by_cell.get(_key(row), {}).get(name, [])
            same_seed = [r for r in candidates if r["training_seed"] == row["training_seed"]]
            if same_seed or candidates:
                paired[name] = (same_seed or candidates)[0]["examples"]
        for example_id in sorted(row["examples"]):
            scores = row["examples"][example_id]
            if operator and operator not in (scores.get("operators") or ()):
                continue
            n_questions += 1
            others = [Answer(name, ex[example_id]["prediction"], ex[example_id]["em"], ex[example_id]["f1"])
                      for name, ex in paired.items() if example_id in ex]
            first = next((b for b in others if b.strategy == baselines[0]), None) if baselines else None
            right = scores["em"] > 0
            keep = {"correct": right, "wrong": not right, "all": True,
                    "gained": right and first is not None and first.em == 0,
                    "lost": not right and first is not None and first.em > 0}[which]
            if not keep:
                continue
            trace = traces.get(example_id, {})
            view = TraceView(row["run_id"], example_id, list(scores.get("operators") or []),
                             Answer(strategy, scores["prediction"], scores["em"], scores["f1"]), others,
                             trace.get("question"), trace.get("gold"), list(trace.get("trace") or []),
                             answer_kind(trace.get("question"), scores["prediction"]))
            if examples is not None:
                if example_id not in examples:
                    raise ConfigError(f"{path}: run {row['run_id']} answers {example_id}, which the dataset "
                                      f"{row['dataset']!r} does not have")
                view.source, view.source_titles = answer_source(examples[example_id], scores["prediction"])
            views.append(view)
    share = None
    if examples is not None and views:
        chosen = [examples[v.example_id] for v in views]
        share = (sum(len(e.supporting_titles() & {p.title for p in e.context}) for e in chosen)
                 / sum(len(e.context) for e in chosen))
    return Selection(strategy, str(k), which, list(baselines), [r["run_id"] for r in mine], n_questions,
                     views, missing, operator, share)


def _paragraphs(path: Path, rows: list[dict]) -> dict[str, Example]:
    """The questions of the rows' dataset with their paragraphs as the runs saw them (`context`), by id."""
    from decomp.data.datasets import get_dataset

    settings = {(r["dataset"], r.get("context") or None, r.get("n_distractors") or None) for r in rows}
    if len(settings) > 1:
        raise ConfigError(f"{path}: --where needs one dataset and context; the runs have {sorted(settings, key=str)}")
    (name, context, n_distractors), = settings
    examples = {e.id: e for e in get_dataset(name, context=context, n_distractors=n_distractors).pool()}
    if not any(e.supporting_titles() for e in examples.values()):
        raise ConfigError(f"--where: the questions of {name!r} name no supporting paragraphs (HotpotQA's do)")
    return examples


def format_selection(selection: Selection, limit: int = 20) -> str:
    lines = list(selection.summary())
    if selection.missing_traces:
        lines.append(f"  no predictions file (run made before traces were kept) for {len(selection.missing_traces)} "
                     "run(s): their questions show answers and scores only")
    for n, view in enumerate(selection.views[:limit], start=1):
        lines.append("")
        lines.append(f"[{n}] {view.example_id}  ({', '.join(view.operators) or 'no operators'})")
        if view.question is not None:
            lines.append(f"  Q: {view.question}")
        if view.gold is not None:
            lines.append("  gold: " + " | ".join(", ".join(g) for g in view.gold))
        a = view.answer
        lines.append(f"  {a.strategy}: {a.prediction!r}  (EM {a.em:.0f}, F1 {a.f1:.2f})")
        if view.source is not None:
            lines.append(f"    found in: {view.source}" + (f" ({'; '.join(view.source_titles)})"
                                                            if view.source_titles else ""))
        for step in view.steps:
            operator = f"[{step['operator']}] " if step.get("operator") else ""
            lines.append(f"    step {step.get('step')} {operator}{step.get('question', '')} -> "
                         f"{step.get('answer', '')!r} ({step.get('by', '?')}"
                         + (f", {step['head']} head" if step.get("head") else "") + ")")
        for b in view.baselines:
            lines.append(f"  {b.strategy}: {b.prediction!r}  (EM {b.em:.0f}, F1 {b.f1:.2f})")
    if len(selection.views) > limit:
        lines += ["", f"... {len(selection.views) - limit} more (--limit)"]
    return "\n".join(lines)


def constant_answers(selection: Selection, share: float) -> dict[tuple[str, str], set[str]]:
    """{(strategy run id, answering strategy): the answers that strategy gives to at least `share` of the run's
    questions}: a run's constants, and each baseline's on the same questions (its paired run)."""
    by_run: dict[str, list[TraceView]] = {}
    for view in selection.views:
        by_run.setdefault(view.run_id, []).append(view)
    found = {}
    for run_id, views in by_run.items():
        answers: dict[str, list[str]] = {selection.strategy: [v.answer.prediction for v in views]}
        for v in views:
            for b in v.baselines:
                answers.setdefault(b.strategy, []).append(b.prediction)
        for name, given in answers.items():
            found[run_id, name] = {a for a, c in Counter(given).items() if c >= share * len(views)}
    return found


def without_constants(selection: Selection, share: float) -> list[str]:
    """The strategy against its first baseline on every question, then on the questions where neither gives
    one of its run's constant answers (an answer given to at least `share` of the questions): an effect that
    vanishes there is carried by a constant answer, not by reading."""
    if selection.which != "all" or not selection.baselines:
        raise ConfigError("--without-constants compares all questions with the first baseline: give --which all "
                          "and a --baseline")
    if not 0 < share < 1:
        raise ConfigError(f"--without-constants must be a share between 0 and 1, got {share!r}")
    first = selection.baselines[0]
    constants = constant_answers(selection, share)
    named: dict[str, Counter] = {selection.strategy: Counter(), first: Counter()}
    for (_, name), answers in constants.items():
        named.setdefault(name, Counter()).update(answers)
    lines = [f"constant answers (given to at least {share:.0%} of a run's questions), runs giving each: "
             + "; ".join(f"{name} " + (", ".join(f"{a!r} x{c}" for a, c in named[name].most_common()) or "none")
                         for name in (selection.strategy, first))]
    paired = [(v, b) for v in selection.views for b in v.baselines if b.strategy == first]
    kept = [(v, b) for v, b in paired if v.answer.prediction not in constants[v.run_id, selection.strategy]
            and b.prediction not in constants[v.run_id, first]]
    for label, pairs in (("every question", paired), ("neither gives a constant", kept)):
        if not pairs:
            lines.append(f"{label}: no question")
            continue
        mine = 100 * sum(v.answer.em for v, _ in pairs) / len(pairs)
        theirs = 100 * sum(b.em for _, b in pairs) / len(pairs)
        lines.append(f"{label}: {len(pairs)} questions, {selection.strategy} EM {mine:.1f}, {first} EM "
                     f"{theirs:.1f}, difference {mine - theirs:+.1f}")
    return lines


def selection_json(selection: Selection) -> str:
    return json.dumps(asdict(selection), indent=2, sort_keys=True)
