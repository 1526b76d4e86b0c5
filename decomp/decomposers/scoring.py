"""Decomposition scores as BREAK's evaluator (allenai/break-evaluator) computes them, plus structure checks.

- `exact_match`: the `return a ;return b #1` strings are equal, ignoring case (the evaluator's EM).
- `normalized_exact_match`: equal after a normal form. The evaluator's normal form rewrites steps with an
  `en_core_web_sm` dependency parse; this one keeps its parse-free parts: lower case, no punctuation or
  determiners, and steps renumbered level by level in alphabetical order (identical steps merged), so two
  decompositions that differ only in step order or articles match.
- `sari`: SARI (Xu et al. 2016, tensor2tensor's variant: n-grams 1-4, deletion precision only, 0/0 = 1)
  of the decomposition string against the question, whitespace tokens, as the evaluator scores it.
- `valid`: the fraction of predictions whose `#k` references point to earlier, existing steps.
- `operators`: per gold operator, step matches (same operator and normalised text) as precision/recall.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from decomp.qdmr.steps import REFERENCE, Step, references_of, validate_references

_DETERMINERS = re.compile(r"\b(?:the|a|an)\b")
_PUNCTUATION = re.compile(r"[^\w#\s]")


def break_string(steps: Sequence[Step] | Sequence[str]) -> str:
    texts = [s.text if isinstance(s, Step) else s for s in steps]
    return " ;".join("return " + " ".join(t.split()) for t in texts)


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


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter({tuple(tokens[i:i + n]): 1 for i in range(len(tokens) + 1 - n)})


def _f(tp: float, selected: float, relevant: float, beta: float = 1.0) -> float:
    precision = tp / selected if selected > 0 else 1.0
    if beta == 0:
        return precision
    recall = tp / relevant if relevant > 0 else 1.0
    return 0.0 if precision == 0 or recall == 0 else 2 * precision * recall / (precision + recall)


def sari(source: str, prediction: str, target: str, max_n: int = 4) -> float:
    """SARI of one prediction against one target (tensor2tensor's formula, single reference)."""
    src, pred, tgt = source.split(" "), prediction.split(" "), target.split(" ")
    keep = add = delete = 0.0
    for n in range(1, max_n + 1):
        s, p, t = _ngrams(src, n), _ngrams(pred, n), _ngrams(tgt, n)
        kept_p, kept_t = s & p, s & t
        keep += _f(sum((kept_p & kept_t).values()), sum(kept_p.values()), sum(kept_t.values()))
        del_p, del_t = s - p, s - t
        delete += _f(sum((del_p & del_t).values()), sum(del_p.values()), sum(del_t.values()), beta=0)
        added = p - s
        add += _f(sum((added & t).values()), sum(added.values()), sum((t - s).values()))
    return (keep + add + delete) / (3 * max_n)


def _operator_counts(steps: Sequence[Step]) -> Counter:
    # References are blanked (`#`): step numbers differ between decompositions that agree step by step.
    return Counter((s.operator, _normal_text(REFERENCE.sub("#", s.text))) for s in steps)


def score_decompositions(predicted: Mapping[str, Sequence[Step]], gold: Mapping[str, Sequence[Step]],
                         questions: Mapping[str, str]) -> dict:
    """Mean scores over the gold ids (a gold id without a prediction scores 0 everywhere).

    Returns n, missing, exact_match, normalized_exact_match, sari, valid, and `operators`:
    {operator: {gold, predicted, matched, precision, recall}} over steps of the scored questions.
    """
    ids = [i for i in gold if gold[i]]
    totals = Counter()
    gold_ops, pred_ops, matched = Counter(), Counter(), Counter()
    for i in ids:
        pred = list(predicted.get(i, ()))
        if not pred:
            totals["missing"] += 1
            gold_ops.update(s.operator for s in gold[i])
            continue
        p_texts, g_texts = [s.text for s in pred], [s.text for s in gold[i]]
        p_str, g_str = break_string(p_texts), break_string(g_texts)
        totals["exact_match"] += p_str.lower() == g_str.lower()
        p_form, g_form = normal_form(p_texts), normal_form(g_texts)
        totals["valid"] += p_form is not None
        totals["normalized_exact_match"] += p_form is not None and p_form == g_form
        totals["sari"] += sari(" ".join(questions.get(i, "").split()), p_str, g_str)
        p_counts, g_counts = _operator_counts(pred), _operator_counts(gold[i])
        for (op, _), c in (p_counts & g_counts).items():
            matched[op] += c
        gold_ops.update(s.operator for s in gold[i])
        pred_ops.update(s.operator for s in pred)
    n = len(ids)
    scores = {k: (totals[k] / n if n else 0.0)
              for k in ("exact_match", "normalized_exact_match", "sari", "valid")}
    operators = {op: {"gold": gold_ops[op], "predicted": pred_ops[op], "matched": matched[op],
                      "precision": matched[op] / pred_ops[op] if pred_ops[op] else 0.0,
                      "recall": matched[op] / gold_ops[op] if gold_ops[op] else 0.0}
                 for op in sorted(set(gold_ops) | set(pred_ops))}
    return {"n": n, "missing": totals["missing"], **scores, "operators": operators}
