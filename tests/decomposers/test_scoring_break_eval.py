"""Per-example EM and SARI against vectors made by the official BREAK evaluator (benchmarks/break_eval_vectors.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decomp.decomposers.break_eval import evaluator_string, exact_match, sari

VECTORS = json.loads((Path(__file__).parent / "fixtures" / "break_eval_vectors.json").read_text(encoding="utf-8"))
PAIRS = VECTORS["pairs"]


def test_vectors_are_real_fold0_pairs_and_cover_every_quirk():
    real = [p for p in PAIRS if p["source"] in ("drop", "hotpotqa")]
    assert len(real) >= 50 and {p["source"] for p in real} == {"drop", "hotpotqa"}
    assert {q for p in PAIRS for q in p["quirks"]} == {"double_space_question", "return_substring",
                                                          "semicolon_in_step"}
    assert any(p["exact_match"] for p in real) and not all(p["exact_match"] for p in real)


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_per_example_em_and_sari_equal_the_evaluators(pair):
    assert evaluator_string(pair["predicted"]) == pair["evaluator_predicted"]
    assert evaluator_string(pair["gold"]) == pair["evaluator_gold"]
    assert exact_match(pair["predicted"], pair["gold"]) == pair["exact_match"]
    assert sari(pair["question"], pair["predicted"], pair["gold"]) == pytest.approx(pair["sari"], abs=1e-12, rel=0)


def test_quirks_are_kept_in_the_official_scores_and_fixed_beside_them():
    assert evaluator_string("return punt returns ;return number of #1") == "punt s @@SEP@@ number of @@1@@"
    assert evaluator_string("return punt returns", fixed=True) == "punt returns"
    assert evaluator_string("return a ; b ;return #1") == "a @@SEP@@ b @@SEP@@ @@1@@"
    # The doubled space is an empty token in the official source (its n-grams count as deleted), none in the fixed one.
    q, pred, gold = "How many  yards did Smith run", "return How many yards", "return yards of Smith"
    assert sari(q, pred, gold) == pytest.approx(0.5958333333333333)
    assert sari(q, pred, gold, fixed=True) == pytest.approx(0.5055555555555555)
    assert exact_match("return Punt returns", "return punt returns") and not exact_match("return a", "return b")


@pytest.mark.slow
def test_per_example_ged_equals_the_evaluators_with_the_same_lemmas():
    from decomp.decomposers.break_ged import ged
    from decomp.decomposers.break_norm import lookup_lemmas

    for pair in PAIRS:
        distance = ged(pair["predicted"], pair["gold"], lookup_lemmas, timeout=60)
        assert distance == pytest.approx(pair["ged_lookup"], abs=1e-12, rel=0), pair["id"]


@pytest.mark.parametrize(("a", "b", "ratio"), [
    # Values from the `edit_distance` package's SequenceMatcher.ratio (what the evaluator's GED uses): matches on the
    # lowest-cost path with ties going to substitution, not the longest common subsequence ("ab"/"ba" is 0, not 0.5).
    ("ab", "ba", 0.0), ("abc", "cab", 2 / 3), ("aab", "aba", 1 / 3), ("abcd", "bcda", 0.75), ("", "a", 0.0),
    ("", "", 1.0), ("xyz", "xz", 0.8)])
def test_match_ratio_follows_the_edit_distance_package(a, b, ratio):
    from decomp.decomposers.break_ged import match_ratio

    assert match_ratio(list(a), list(b)) == pytest.approx(ratio)


def test_ged_gives_up_past_its_time_limit():
    from decomp.decomposers.break_ged import ged

    long = " ;".join(f"return step {k} of #{k - 1}" if k > 1 else "return step 1" for k in range(1, 9))
    assert ged(long, long.replace("step", "part"), lambda t: t.split(), timeout=1e-6) is None
    assert ged("return a ;return b of #1", "return a ;return b of #1", lambda t: t.split(), timeout=30) == 0.0
