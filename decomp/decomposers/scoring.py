"""Decomposition scores against gold: BREAK's official metrics (break_eval, break_norm, break_ged) plus checks.

Official, per example exactly as allenai/break-evaluator computes them on its inputs (raw BREAK question and
decomposition strings where the gold comes from BREAK's CSVs): `exact_match`, `sari`; beside them
`exact_match_fixed` and `sari_fixed` without the evaluator's two plain bugs (see break_eval). `norm_em` (the
evaluator's own normaliser, needs its checkout and en_core_web_sm) or else `norm_em_approx` (parse-free parts
only), each over the examples that normalise (`norm_failed` were left out, as the evaluator does). `ged` or
`ged_approx` (optional; `ged_timeouts` were left out). Project checks: `valid` (the fraction of predictions
whose `#k` point to earlier, existing steps) and `operators` (per gold operator, step matches as P/R).
`normal_form` is the project's own parse-free structural form, used by the seq2seq decomposer's validation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from decomp.qdmr.steps import REFERENCE, Step, references_of, to_break_string, validate_references

_DETERMINERS = re.compile(r"\b(?:the|a|an)\b")
_PUNCTUATION = re.compile(r"[^\w#\s]")


def _normal_text(text: str) -> str:
    text = _PUNCTUATION.sub(" ", text.lower())
    return " ".join(_DETERMINERS.sub(" ", text).split())


def normal_form(steps: Sequence[str]) -> tuple[str, ...] | None:
    """Normalised step texts in canonical order; None when the references are invalid."""
    try:
        validate_references(list(steps))
    except ValueError:
        return None
    texts = [_normal_text(t) for t in steps]
    level: list[int] = []
    for t in texts:
        level.append(1 + max((level[k - 1] for k in references_of(t)), default=0))
    new_id: dict[int, int] = {}
    out: list[str] = []
    for lvl in sorted(set(level)):
        labels: dict[str, list[int]] = {}
        for i, t in enumerate(texts, start=1):
            if level[i - 1] == lvl:
                label = REFERENCE.sub(lambda m: f"#{new_id[int(m.group(1))]}", t)
                labels.setdefault(label, []).append(i)
        for label in sorted(labels):
            out.append(label)
            for i in labels[label]:
                new_id[i] = len(out)  # identical steps at one level merge into one
    return tuple(out)


def _operator_counts(steps: Sequence[Step]) -> Counter:
    # References are blanked (`#`): step numbers differ between decompositions that agree step by step.
    return Counter((s.operator, _normal_text(REFERENCE.sub("#", s.text))) for s in steps)


def score_decompositions(predicted: Mapping[str, Sequence[Step]], gold: Mapping[str, Sequence[Step]],
                         questions: Mapping[str, str], raw: Mapping[str, tuple[str, str]] | None = None, *,
                         normalizer: Callable[[str], str | None] | None = None,
                         ged_timeout: float | None = None) -> dict:
    """Mean scores over the gold ids, and per example under `examples`.

    `raw`: {id: (question_text, decomposition)} as in BREAK's CSVs (what the evaluator reads; ids not in it are
    scored on `questions` and the gold steps rendered as `return ...`). `normalizer`: the official normal form
    (`OfficialNormalizer.normal_string`), reported as `norm_em`; without it `norm_em_approx`. `ged_timeout`: also
    GED with this per-example limit in seconds. A gold id without a prediction scores 0 (GED 1).
    """
    from decomp.decomposers import break_eval
    from decomp.decomposers.break_norm import approx_normal_string

    norm_name = "norm_em" if normalizer else "norm_em_approx"
    normal = normalizer or approx_normal_string
    ged_name, lemmatize = None, None
    if ged_timeout is not None:
        from decomp.decomposers.break_ged import ged, ged_lemmatizer

        ged_name, lemmatize = ged_lemmatizer()
    raw = raw or {}
    ids = [i for i in gold if gold[i]]
    examples: dict[str, dict] = {}
    gold_ops, pred_ops, matched = Counter(), Counter(), Counter()
    for i in ids:
        question, g_str = raw.get(i) or (questions.get(i, ""), to_break_string(gold[i]))
        gold_ops.update(s.operator for s in gold[i])
        pred = list(predicted.get(i, ()))
        if not pred:
            examples[i] = {"missing": True, "exact_match": False, "exact_match_fixed": False, "sari": 0.0,
                           "sari_fixed": 0.0, norm_name: False, "valid": False}
            if ged_name:
                examples[i][ged_name] = 1.0
            continue
        p_str = to_break_string(pred)
        p_norm, g_norm = normal(p_str), normal(g_str)
        row = {"exact_match": break_eval.exact_match(p_str, g_str),
               "exact_match_fixed": break_eval.exact_match(p_str, g_str, fixed=True),
               "sari": break_eval.sari(question, p_str, g_str),
               "sari_fixed": break_eval.sari(question, p_str, g_str, fixed=True),
               norm_name: None if p_norm is None or g_norm is None else p_norm == g_norm,
               "valid": normal_form([s.text for s in pred]) is not None}
        if ged_name:
            row[ged_name] = ged(p_str, g_str, lemmatize, ged_timeout)
        examples[i] = row
        for (op, _), c in (_operator_counts(pred) & _operator_counts(gold[i])).items():
            matched[op] += c
        pred_ops.update(s.operator for s in pred)
    metrics = ["exact_match", "exact_match_fixed", "sari", "sari_fixed", norm_name, "valid"]
    metrics += [ged_name] if ged_name else []
    scores = {}
    for key in metrics:
        values = [float(e[key]) for e in examples.values() if e[key] is not None]
        scores[key] = sum(values) / len(values) if values else 0.0
    scores["norm_failed"] = sum(e[norm_name] is None for e in examples.values())
    if ged_name:
        scores["ged_timeouts"] = sum(e[ged_name] is None for e in examples.values())
    operators = {op: {"gold": gold_ops[op], "predicted": pred_ops[op], "matched": matched[op],
                      "precision": matched[op] / pred_ops[op] if pred_ops[op] else 0.0,
                      "recall": matched[op] / gold_ops[op] if gold_ops[op] else 0.0}
                 for op in sorted(set(gold_ops) | set(pred_ops))}
    return {"n": len(ids), "missing": sum("missing" in e for e in examples.values()), "from_break_rows":
            sum(i in raw for i in ids), **scores, "operators": operators, "examples": examples}
