from collections import Counter

import pytest

from decomp.data.protocols import (
    assign_folds,
    carve_validation,
    deployed_split,
    gold_split,
    nested_subset,
    parse_size,
)
from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import ConfigError


def _pool(n_groups: int = 23) -> list[Example]:
    out = []
    for g in range(n_groups):
        for q in range(1 + g % 4):  # uneven group sizes, as DROP sections are
            out.append(Example(id=f"g{g}-q{q}", source="drop", question=f"q{q}?",
                               context=(Paragraph("", f"passage {g}"),), answers=(Answer(number="1"),),
                               group=f"g{g}"))
    return out


def test_folds_cover_every_question_once_and_never_share_a_passage():
    pool = _pool()
    seen = Counter()
    for fold in range(5):
        split = gold_split(pool, fold, n_folds=5, seed=3)
        assert {e.group for e in split.train}.isdisjoint({e.group for e in split.eval})
        assert len(split.train) + len(split.eval) == len(pool)
        seen.update(e.id for e in split.eval)
    assert set(seen) == {e.id for e in pool} and set(seen.values()) == {1}


def test_folds_are_seeded_balanced_and_deterministic():
    pool = _pool()
    a, b = assign_folds(pool, 5, seed=0), assign_folds(list(reversed(pool)), 5, seed=0)
    assert a == b  # input order does not matter
    assert assign_folds(pool, 5, seed=1) != a
    sizes = Counter(a[e.group] for e in pool)
    assert max(sizes.values()) - min(sizes.values()) <= 4  # at most one group's size apart


def test_nested_subsets_are_nested_and_strategy_independent():
    train = gold_split(_pool(), 0).train
    small, large = nested_subset(train, 5, subset_seed=1), nested_subset(train, 12, subset_seed=1)
    assert [e.id for e in large[:5]] == [e.id for e in small]
    assert nested_subset(train, 5, subset_seed=2) != small
    assert len(nested_subset(train, "all", 0)) == len(train)
    with pytest.raises(ConfigError, match="exceeds"):
        nested_subset(train, len(train) + 1, 0)


@pytest.mark.parametrize("bad", [-3, "ten", None, True])
def test_bad_sizes_are_rejected(bad):
    with pytest.raises(ConfigError, match="training size"):
        parse_size(bad)


def test_size_zero_is_the_zero_shot_point():
    assert parse_size(0) == 0
    assert nested_subset(gold_split(_pool(), 0).train, 0, subset_seed=0) == []


def test_validation_carved_from_subset_only():
    subset = nested_subset(gold_split(_pool(), 0).train, 10, 0)
    fit, val = carve_validation(subset, 0.2, seed=0)
    assert len(val) == 2 and len(fit) == 8
    assert {e.id for e in fit} | {e.id for e in val} == {e.id for e in subset}
    assert not {e.id for e in fit} & {e.id for e in val}


def test_deployed_refuses_shared_passages():
    pool = _pool()
    with pytest.raises(ConfigError, match="shares"):
        deployed_split(pool, pool[:2])
    split = deployed_split(pool[:10], [e for e in pool if e.group not in {x.group for x in pool[:10]}])
    assert split.protocol == "deployed" and split.version == "deployed-v1"
