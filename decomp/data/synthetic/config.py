"""The knobs of the synthetic multi-step reading set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from decomp.data.schema import ANSWER_TYPES
from decomp.errors import ConfigError

KINDS = ("drop", "hotpot")
DROP_DOMAINS = ("football", "battle", "census")
MAX_HOPS = 3


def _default_answer_types() -> dict[str, float]:
    return {"number": 0.35, "spans": 0.35, "date": 0.15, "yesno": 0.15}


def _default_kinds() -> dict[str, float]:
    return {"drop": 0.5, "hotpot": 0.5}


@dataclass(frozen=True)
class SyntheticConfig:
    """What `generate` makes. The defaults are the offline quick-start set: short passages, 2-3 hops.

    - `hops`: the allowed reasoning depths, i.e. the longest chain of `#k` references in the gold
      decomposition (1: a single-step lookup; 2: two facts combined or one fact leading to another;
      3: three stages, e.g. two superlatives then their difference). An int means exactly that depth.
    - `distractors`: HotpotQA-like questions get this many paragraphs that no reasoning step needs.
    - `passage_sentences`: sentences per DROP-like passage (more sentences, more facts to search); a
      game fills exactly this many, a war at least 5 (two battles), a census at most 7.
    - `paragraph_sentences`: most sentences in a HotpotQA-like paragraph (2 hold facts, the rest filler).
    - `answer_types` / `kinds`: relative weights (need not sum to 1). A type a domain cannot ask at the
      allowed depths is skipped there, so the realised mix follows the weights only where it can.
    - `drop_domains`: which DROP-like passage worlds to draw (football games, battles, censuses).
    - `questions_per_passage`: DROP-like questions asked about one passage (they share its `group`);
      HotpotQA-like paragraph sets carry one question each, as in HotpotQA.
    - `vocab_seed` / `vocab_slice`: every name list (people, teams, places, titles, ...) is shuffled by
      `vocab_seed` and cut to the fraction `vocab_slice`; slices (0, .5) and (.5, 1) of one seed give
      train and test sets whose entity names do not overlap.
    """

    hops: int | tuple[int, ...] = (2, 3)
    distractors: int = 2
    passage_sentences: int = 5
    paragraph_sentences: int = 3
    answer_types: dict[str, float] = field(default_factory=_default_answer_types)
    kinds: dict[str, float] = field(default_factory=_default_kinds)
    drop_domains: tuple[str, ...] = DROP_DOMAINS
    questions_per_passage: int = 3
    vocab_seed: int = 0
    vocab_slice: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        hops = (self.hops,) if isinstance(self.hops, int) else tuple(self.hops)
        if not hops or any(not isinstance(h, int) or not 1 <= h <= MAX_HOPS for h in hops):
            raise ConfigError(f"hops must be depths in 1..{MAX_HOPS}, got {self.hops!r}")
        object.__setattr__(self, "hops", tuple(sorted(set(hops))))
        object.__setattr__(self, "drop_domains", tuple(self.drop_domains))
        object.__setattr__(self, "vocab_slice", tuple(self.vocab_slice))
        _weights("answer_types", self.answer_types, ANSWER_TYPES)
        _weights("kinds", self.kinds, KINDS)
        unknown = set(self.drop_domains) - set(DROP_DOMAINS)
        if not self.drop_domains or unknown:
            raise ConfigError(f"drop_domains must be a non-empty subset of {DROP_DOMAINS}, "
                              f"got {self.drop_domains!r}")
        _in_range("distractors", self.distractors, 0, 20)
        _in_range("passage_sentences", self.passage_sentences, 3, 12)
        _in_range("paragraph_sentences", self.paragraph_sentences, 2, 5)
        _in_range("questions_per_passage", self.questions_per_passage, 1, 10)
        low, high = self.vocab_slice
        if not 0.0 <= low < high <= 1.0 or round(high - low, 9) < 0.2:
            raise ConfigError(f"vocab_slice must be (low, high) with 0 <= low < high <= 1 and a width "
                              f"of at least 0.2 (enough names to draw from), got {self.vocab_slice!r}")


def _weights(name: str, weights: dict[str, float], known: Sequence[str]) -> None:
    unknown = set(weights) - set(known)
    if unknown:
        raise ConfigError(f"{name}: unknown key(s) {sorted(unknown)} (known: {', '.join(known)})")
    if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
        raise ConfigError(f"{name}: weights must be >= 0 with at least one > 0, got {weights!r}")


def _in_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer in {low}..{high}, got {value!r}")
