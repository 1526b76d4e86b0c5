"""eval_limit's sample: whole passages, seeded, stratified by operator signature, never the first n."""

from __future__ import annotations

from collections import Counter

from decomp.data.sampling import METHOD, sample_passages
from decomp.data.schema import Answer, Example, Paragraph
from decomp.qdmr.steps import Step

SIGNATURES = [("select",), ("select", "aggregate"), ("select", "filter", "aggregate"), ("select", "project", "union")]


def _fold(n_groups: int = 40) -> list[Example]:
    """Passage groups of 1-3 questions; groups are listed by signature, so a first-n cut sees only one kind."""
    out = []
    for g in range(n_groups):
        ops = SIGNATURES[g * len(SIGNATURES) // n_groups]
        for q in range(1 + g % 3):
            out.append(Example(id=f"g{g}-q{q}", source="drop", question=f"q{q}?", group=f"g{g}",
                               context=(Paragraph("", f"passage {g}"),), answers=(Answer(number="1"),),
                               decomposition=tuple(Step(f"step {i}", op) for i, op in enumerate(ops))))
    return out


def test_sample_is_whole_passages_about_n_questions_and_recorded():
    fold = _fold()
    sample, info = sample_passages(fold, 20, seed=0)
    sizes = Counter(e.group for e in fold)
    chosen = {e.group for e in sample}
    assert all(Counter(e.group for e in sample)[g] == sizes[g] for g in chosen)  # whole passages
    assert 20 <= len(sample) < 20 + max(sizes.values())
    assert info == {"seed": 0, "n_passages": len(chosen), "n_questions": len(sample), "method": METHOD,
                    "requested": 20, "n_strata": len(SIGNATURES)}
    assert [e.id for e in sample] == [e.id for e in fold if e.group in chosen]  # the fold's order kept


def test_sample_keeps_the_mix_of_signatures_and_is_not_the_first_n():
    fold = _fold()
    sample, _ = sample_passages(fold, 24, seed=1)
    assert sample != fold[: len(sample)]
    assert {e.operators for e in sample} == set(SIGNATURES)  # every stratum represented
    first = {e.operators for e in fold[:24]}
    assert len(first) < len(SIGNATURES)  # what the old first-n cut gave


def test_sample_is_seeded():
    fold = _fold()
    assert sample_passages(fold, 20, seed=3) == sample_passages(list(fold), 20, seed=3)
    assert {e.id for e in sample_passages(fold, 20, seed=3)[0]} != {e.id for e in sample_passages(fold, 20, 4)[0]}


def test_a_limit_above_the_fold_keeps_all():
    fold = _fold(8)
    sample, info = sample_passages(fold, 1000, seed=0)
    assert sample == fold and info["n_questions"] == len(fold)
