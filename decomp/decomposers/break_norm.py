"""Normalised exact match of BREAK decompositions: the official pipeline where the user has it, else an
offline approximation, named apart so nobody mistakes one for the other.

- `norm_em` (`OfficialNormalizer`): the evaluator's own `NormalizedGraphMatchScorer`, imported from a checkout of
  allenai/break-evaluator the user names (`--break-evaluator`), with spaCy's `en_core_web_sm` (its dependency
  parse drives determiner removal, noun/preposition splitting into sub-steps and operator rewrites).
- `norm_em_approx` (`approx_normal_string`): what needs no parser, as the evaluator does it: labels lower-cased,
  spaCy's English tokenizer, lemmas from spaCy's lookup table (spacy-lookups-data; en_core_web_sm's lemmatizer uses
  POS tags instead), the determiners a/an/the dropped (the evaluator drops every DET-tagged token), then the steps
  reordered level by level alphabetically with identical steps merged. No sub-step splitting, no operator rewrites.

Like the evaluator, an example whose either side fails to normalise (a `#k` pointing past the steps leaves the
graph's nodes non-contiguous) is left out of the mean; `norm_failed` counts them.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from decomp.decomposers.break_eval import SEP, evaluator_steps
from decomp.errors import ConfigError

_REF = re.compile(r"@@(\d+)@@")
_DETERMINERS = frozenset({"a", "an", "the"})


@lru_cache(maxsize=1)
def lookup_pipeline():
    """spaCy's English tokenizer with the lookup lemmatizer (tables from spacy-lookups-data)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def lookup_lemmas(text: str) -> list[str]:
    return [t.lemma_ or t.text for t in lookup_pipeline()(text)]


def graph_nodes(labels: list[str]) -> tuple[list[int], dict[int, list[int]]]:
    """The evaluator's `Decomposition.to_graph()`: nodes 1..n plus any referenced id; edges step -> reference."""
    refs = {i: [int(k) for k in _REF.findall(label)] for i, label in enumerate(labels, start=1)}
    nodes = sorted(set(refs) | {k for ks in refs.values() for k in ks})
    return nodes, refs


def _levels(refs: dict[int, list[int]]) -> dict[int, int] | None:
    """Level 0: steps without references; else 1 + the deepest reference. None on a cycle."""
    level: dict[int, int] = {}

    def visit(i: int, path: frozenset) -> int:
        if i in path:
            raise ValueError("cycle")
        if i not in level:
            level[i] = 1 + max((visit(k, path | {i}) for k in refs.get(i, [])), default=-1)
        return level[i]

    try:
        for i in refs:
            visit(i, frozenset())
    except ValueError:
        return None
    return level


def reorder(labels: dict[int, str], refs: dict[int, list[int]]) -> list[str]:
    """Level by level, labels in alphabetical order with references renumbered; identical labels merge."""
    level = _levels(refs)
    if level is None:  # the evaluator skips the reorder of a cyclic graph
        return [labels[i] for i in sorted(labels)]
    new_id: dict[int, int] = {}
    out: list[str] = []
    for lvl in sorted(set(level.values())):
        by_label: dict[str, list[int]] = {}
        for i in sorted(i for i in labels if level[i] == lvl):
            label = _REF.sub(lambda m: f"@@{new_id[int(m.group(1))]}@@", labels[i])
            by_label.setdefault(label, []).append(i)
        for label in sorted(by_label):
            out.append(label)
            for i in by_label[label]:
                new_id[i] = len(out)
    return out


def approx_normal_string(decomposition: str, lemmatize: Callable[[str], list[str]] = lookup_lemmas) -> str | None:
    """`norm_em_approx`'s normal form of a `return ...` string; None where the evaluator's would fail."""
    labels = evaluator_steps(decomposition)
    nodes, refs = graph_nodes(labels)
    if nodes != list(range(1, len(nodes) + 1)):
        return None
    texts = {i: "" for i in nodes}
    for i, label in enumerate(labels, start=1):
        tokens = lemmatize(" ".join(label.split()).lower())
        texts[i] = " ".join(t for t in tokens if t not in _DETERMINERS)
    return SEP.join(reorder(texts, {i: refs.get(i, []) for i in nodes}))


class OfficialNormalizer:
    """The evaluator's normal form, run from the user's checkout of allenai/break-evaluator (needs en_core_web_sm)."""

    def __init__(self, evaluator: str | Path) -> None:
        root = Path(evaluator)
        if not (root / "evaluation" / "normal_form" / "normalized_graph_matcher.py").is_file():
            raise ConfigError(f"--break-evaluator {evaluator}: not a checkout of allenai/break-evaluator "
                              "(no evaluation/normal_form/normalized_graph_matcher.py)")
        try:
            import spacy

            spacy.load("en_core_web_sm")
        except (ImportError, OSError) as exc:
            raise ConfigError("--break-evaluator needs spaCy's en_core_web_sm "
                              f"(python -m spacy download en_core_web_sm): {exc}") from None
        sys.path[:0] = [str(root)]
        try:
            self._decomposition = importlib.import_module("evaluation.decomposition").Decomposition
            matcher = importlib.import_module("evaluation.normal_form.normalized_graph_matcher")
        except ImportError as exc:
            raise ConfigError(f"--break-evaluator {evaluator}: its requirements are not installed "
                              f"(pip install -r {root / 'requirements.txt'}): {exc}") from None
        self._scorer = matcher.NormalizedGraphMatchScorer()

    def normal_string(self, decomposition: str) -> str | None:
        """As the evaluator's `evaluate()`: normalise the graph (the raw graph if that fails), then render it."""
        graph = self._decomposition(evaluator_steps(decomposition)).to_graph()
        try:
            graph = self._scorer.normalize_graph(graph)
        except Exception:  # the evaluator falls back to the raw graph on any error
            pass
        try:
            return self._decomposition.from_graph(graph).to_string()
        except Exception:  # and drops the example on any error here
            return None
