"""The result row: one per finished (cell, training seed) in `results.jsonl`; its one model and checks.

The curve writer builds rows with `build_row` and checks them with `check_row` before appending; every
reader (the leaderboard too) reads them back through `decomp.curves.store`, which applies the same
`check_row`, so the two can never disagree. Fields added after the first rows were written are optional
(`OPTIONAL`), so older rows still load.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from decomp.errors import DataError
from decomp.metrics.breakdown import executor_answer_distribution

RESULTS = "results.jsonl"
ROW_VERSION = 3  # 2: prediction/passage per example, budget, trials, search, ...; 3: spec (replayable)

TEXT_FIELDS = ("run_id", "curve", "dataset", "reader", "strategy", "decompositions", "git_commit", "config_hash")
INT_FIELDS = ("subset_seed", "training_seed")
REQUIRED = (*TEXT_FIELDS, *INT_FIELDS, "fold", "k", "em", "f1", "n_eval", "examples", "versions")
BUDGET_KINDS = ("converged", "fixed")
SEARCHES = ("tpe", "random", "fixed")
LEARNERS = ("finetune", "in-context", "none")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # NaN != NaN


def _text(value: object) -> str | None:
    return None if isinstance(value, str) else "expected a string"


def _count(value: object) -> str | None:
    return None if _is_int(value) and value >= 0 else "expected a non-negative integer"


def _mapping(value: object) -> str | None:
    return None if isinstance(value, dict) else "expected a mapping"


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    return lambda value: None if value in choices else f"expected one of {list(choices)}"


def _budget(value: object) -> str | None:
    if not isinstance(value, dict) or value.get("kind") not in BUDGET_KINDS:
        return f"expected a mapping with kind in {list(BUDGET_KINDS)}"
    for name in ("min_steps", "max_steps", "steps_trained", "patience"):
        if value.get(name) is not None and _count(value[name]):
            return f"{name}: expected a non-negative integer, got {value[name]!r}"
    delta = value.get("min_delta", 0.0)
    if isinstance(delta, bool) or not isinstance(delta, int | float) or delta < 0:
        return f"min_delta: expected a non-negative number, got {delta!r}"
    return None if isinstance(value.get("stop_reason"), str | None) else "stop_reason: expected a string"


def _trials(value: object) -> str | None:
    if not isinstance(value, list):
        return "expected a list of {number, state, params, value}"
    for i, trial in enumerate(value):
        if not (isinstance(trial, dict) and _is_int(trial.get("number")) and isinstance(trial.get("state"), str)
                and isinstance(trial.get("params"), dict)
                and (trial.get("value") is None or _is_number(trial["value"]))):
            return f"[{i}]: expected {{number, state, params, value}}, got {trial!r}"
    return None


def _eval_sample(value: object) -> str | None:
    keys = {"seed", "n_passages", "n_questions", "method"}
    if value is None or (isinstance(value, dict) and keys <= set(value)):
        return None
    return f"expected null (the whole fold) or a mapping with {sorted(keys)}"


def _answer_counts(value: object) -> str | None:
    ok = isinstance(value, dict) and all(isinstance(k, str) and _is_int(n) and n >= 0 for k, n in value.items())
    return None if ok else "expected a mapping of answer text -> count"


def _spec(value: object) -> str | None:
    """The shape of a run spec (`decomp.curves.config.RunSpec`, which checks its content when it is replayed)."""
    shape = {"spec_version": int, "config": dict, "cell": dict, "training_seed": int, "params": dict}
    if isinstance(value, dict) and all(isinstance(value.get(k), t) and not isinstance(value.get(k), bool)
                                       for k, t in shape.items()):
        return None
    keys = sorted(value) if isinstance(value, dict) else type(value).__name__
    return f"expected a mapping with {', '.join(shape)} of those types, got {keys}"


def _run_time(value: object) -> str | None:
    return None if _is_number(value) and value >= 0 else "expected a non-negative number"


# Optional row fields (absent or null in older rows): name -> check returning an error message or None.
OPTIONAL: dict[str, Callable[[object], str | None]] = {
    "hardware": _text, "supervision": _text, "predicted_file": _text, "context": _text, "precision": _text,
    "hparams": _mapping, "run_time_s": _run_time, "n_train": _count, "n_eval_passages": _count,
    "n_distractors": _count,
    "budget": _budget, "trials": _trials, "search": _one_of(SEARCHES), "eval_sample": _eval_sample,
    "learner": _one_of(LEARNERS), "n_demonstrations": _count, "executor_answers": _answer_counts,
    "spec": _spec,
    "strategy_version": lambda v: None if isinstance(v, str | int) and not isinstance(v, bool)
    else "expected a version string or integer",
}
# Per example: em and f1 required (scores in [0, 1]); these optional.
EXAMPLE_TEXT = ("answer_type", "question_type", "prediction", "passage")


def check_row(row: object, *, file: str | None = None, line: int | None = None) -> None:
    """Raise DataError (naming file, line and field) unless `row` is a complete, well-typed result row."""

    def fail(field: str, message: str) -> DataError:
        return DataError(message, file=file, row=line, field=field)

    if not isinstance(row, dict):
        raise fail("row", f"expected a JSON object, got {type(row).__name__}")
    for name in REQUIRED:
        if name not in row:
            raise fail(name, "missing required field")
    for name in TEXT_FIELDS:
        if not isinstance(row[name], str) or not row[name]:
            raise fail(name, f"expected a non-empty string, got {row[name]!r}")
    for name in INT_FIELDS:
        if not _is_int(row[name]):
            raise fail(name, f"expected an integer, got {row[name]!r}")
    if row["fold"] is not None and not _is_int(row["fold"]):  # null: a protocol without folds (deployed, splits)
        raise fail("fold", f"expected an integer or null, got {row['fold']!r}")
    k = row["k"]
    if k != "all" and not (_is_int(k) and k >= 0):
        raise fail("k", f"expected a non-negative integer or 'all', got {k!r}")
    for name in ("em", "f1"):
        if not (_is_number(row[name]) and 0 <= row[name] <= 100):
            raise fail(name, f"expected a percentage in [0, 100], got {row[name]!r}")
    versions = row["versions"]
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise fail("versions", "expected a mapping of package -> version string")
    _check_examples(row["examples"], fail)
    if not _is_int(row["n_eval"]) or row["n_eval"] != len(row["examples"]):
        raise fail("n_eval", f"is {row['n_eval']!r} but the row has {len(row['examples'])} examples")
    for name, check in OPTIONAL.items():
        if row.get(name) is not None and (problem := check(row[name])):
            raise fail(name, f"{problem}, got {row[name]!r}" if "got" not in problem else problem)


def _check_examples(examples: object, fail) -> None:
    if not isinstance(examples, dict) or not examples:
        raise fail("examples", "expected a non-empty mapping of example id -> scores")
    for key, scores in examples.items():
        where = f"examples.{key}"
        if not key:
            raise fail("examples", "empty example id")
        if not isinstance(scores, dict):
            raise fail(where, "expected a mapping with em and f1")
        for name in ("em", "f1"):
            value = scores.get(name)
            if not (_is_number(value) and 0 <= value <= 1):
                raise fail(f"{where}.{name}", f"expected a score in [0, 1], got {value!r}")
        for name in EXAMPLE_TEXT:
            if scores.get(name) is not None and not isinstance(scores[name], str):
                raise fail(f"{where}.{name}", f"expected a string, got {scores[name]!r}")
        ops = scores.get("operators")
        if ops is not None and not (isinstance(ops, list) and all(isinstance(o, str) for o in ops)):
            raise fail(f"{where}.operators", f"expected a list of operator names, got {ops!r}")


def build_row(*, run_id: str, config, cell, seed: int, trials: list[dict], best: dict | None, search: str,
              data: dict, strategy: dict, reader: dict, params: dict, metrics: dict, per_operator: dict,
              records: list[dict], examples: list, run_time_s: float, config_hash: str, study_name: str | None,
              budget: dict | None, learner: str, n_demonstrations: int | None = None,
              precision: str | None = None, spec: dict) -> dict:
    """One checked result row. `examples` are the evaluation `Example`s: per example the row keeps em/f1
    (0-1), the final predicted answer, its passage group, answer type, question type and QDMR operators,
    so the leaderboard bootstraps over passages, pairs strategies on the same examples and
    breaks scores down from the rows alone. `best` is the chosen trial ({number, value}), None untuned.
    `spec` is the run's `RunSpec.to_dict()`: `decomp replay` trains and tests the row again from it alone."""
    from decomp.provenance import git_commit, hardware, package_versions

    by_id = {e.id: e for e in examples}
    per_example = {}
    for r in records:
        e = by_id[r["example_id"]]
        per_example[e.id] = {"em": r["em"], "f1": r["f1"], "prediction": r["prediction"], "passage": e.group,
                             "answer_type": e.answer_type, "question_type": e.question_type,
                             "operators": list(e.operators)}
    row = {
        "row_version": ROW_VERSION, "run_id": run_id, "curve": config.name, "dataset": config.dataset,
        "reader": cell.reader, "reader_args": {k: v for k, v in reader.items() if k not in ("strategy_options",)},
        "strategy": strategy["strategy"], "strategy_options": cell.strategy.options,
        "strategy_version": strategy.get("format_version"),
        "supervision": strategy.get("supervision"), "decompositions": data["decompositions"],
        "predicted_file": data["predicted_file"], "protocol": data["protocol"],
        "protocol_version": data["protocol_version"], "fold": data["fold"], "n_folds": data["n_folds"],
        "fold_seed": data["fold_seed"], "context": data.get("context"), "k": cell.k,
        "subset_seed": cell.subset_seed, "training_seed": seed, "hparams": params,
        "em": metrics.get("test_em"), "f1": metrics.get("test_f1"), "per_operator": per_operator,
        "n_train": data["n_fit"], "n_val": data["n_val"], "n_eval": len(records),
        "n_eval_passages": len({e.group for e in examples}), "eval_limit": data["eval_limit"],
        "eval_sample": data.get("eval_sample"), "examples": per_example,
        "executor_answers": executor_answer_distribution(records, examples) or None,
        "learner": learner, "n_demonstrations": n_demonstrations, "budget": budget, "precision": precision,
        "search": search, "study": study_name, "trials": trials,
        "best_trial": best["number"] if best else None, "best_val": best["value"] if best else None,
        "n_trials": sum(t["state"] in ("COMPLETE", "PRUNED", "FAIL") for t in trials),
        "run_time_s": round(run_time_s, 2), "git_commit": git_commit(), "config_hash": config_hash,
        "data_hash": {"train": data["train_hash"], "eval": data["eval_hash"]}, "versions": package_versions(),
        "hardware": hardware(), "spec": spec,
    }
    if data.get("n_distractors"):  # `context: gold` plus distractors: part of what was measured
        row["n_distractors"] = data["n_distractors"]
    row = json.loads(json.dumps(row, sort_keys=True, default=str))  # exactly what a reader will see
    check_row(row, file=RESULTS, line=None)
    return row


def context_setting(row: dict) -> str:
    """HotpotQA's context setting as the row records it ("" for none): `gold` with added distractors names
    how many, so that runs with different contexts are never one panel."""
    context, n = row.get("context") or "", row.get("n_distractors")
    return f"{context} + {n} distractors" if context and n else context
