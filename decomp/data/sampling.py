"""Evaluation subsets by design: a seeded sample of whole passages, stratified by operator signature.

`eval_limit` used to keep the first n questions by position, which picks a few passages and skews the
question mix. Here each passage group gets one stratum, its questions' most common QDMR operator signature
(the tuple of operators), or only the final operator when fewer than `MIN_PASSAGES` passages share that
signature. Passages are put in a seeded, stratified order (each prefix holds every stratum in proportion
to its passages) and the sample is the shortest prefix with at least n questions: whole passages, about n
questions (less than one passage over), and the fold's mix of question forms.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from decomp.data.schema import Example
from decomp.hashing import seeded_int, seeded_rank

METHOD = "passages-stratified-by-operators-v1"
MIN_PASSAGES = 3  # fewer passages than this with one signature: stratify that signature by its final operator


def _strata(groups: dict[str, list[Example]]) -> dict[str, str]:
    """Passage group -> stratum name."""
    signature = {g: Counter(e.operators for e in qs).most_common(1)[0][0] for g, qs in groups.items()}
    sizes = Counter(signature.values())
    return {g: " ".join(sig) if sizes[sig] >= MIN_PASSAGES else f"final:{sig[-1] if sig else 'none'}"
            for g, sig in signature.items()}


def sample_passages(examples: Sequence[Example], n: int, seed: int = 0) -> tuple[list[Example], dict]:
    """About `n` questions of `examples` as whole passage groups (see the module docstring), in their
    original order, and the record a result row keeps (`eval_sample`)."""
    groups: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        groups[e.group or e.id].append(e)
    members: dict[str, list[str]] = defaultdict(list)
    strata = _strata(groups)
    salt = f"eval:{seed}"  # apart from the protocols' orders of the same seed
    for g in sorted(groups, key=lambda g: seeded_rank(salt, g)):
        members[strata[g]].append(g)
    # Stratified order: passage j of a stratum of m sits at (j + offset) / m, so every prefix of the order
    # holds each stratum in proportion to its passages; the sample is the shortest prefix reaching n questions.
    position = {}
    for s, gs in members.items():
        offset = seeded_int(salt, "stratum:" + s, 8) / 16**8
        position.update({g: ((j + offset) / len(gs), seeded_rank(salt, g)) for j, g in enumerate(gs)})
    chosen, count = set(), 0
    for g in sorted(groups, key=position.__getitem__):
        if count >= n:
            break
        chosen.add(g)
        count += len(groups[g])
    sample = [e for e in examples if (e.group or e.id) in chosen]
    return sample, {"seed": seed, "n_passages": len(chosen), "n_questions": len(sample), "method": METHOD,
                    "requested": n, "n_strata": len(members)}
