"""Graph edit distance of two decompositions as BREAK's evaluator computes it (`GraphMatchScorer`), optional.

Graphs are the evaluator's `Decomposition.to_graph()` (a node per step labelled with its `format_qdmr` text, an
edge from a step to each step it references). networkx's exact search (`optimize_edit_paths`) runs with node
insertion/deletion and every edge operation costing 1 and node substitution costing 1 - the edit-distance match
ratio of the two labels' lemma sequences; the last (lowest) cost over max(nodes + edges) of the two graphs.
The evaluator's lemmas come from en_core_web_sm: with it installed the metric is `ged`, otherwise lookup lemmas
stand in and it is `ged_approx`. A search that runs past the time limit scores None (the evaluator gives up
after 180 s and drops the example); callers count those.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import cache, lru_cache

import networkx as nx

from decomp.decomposers.break_eval import evaluator_steps
from decomp.decomposers.break_norm import graph_nodes, lookup_lemmas


def match_ratio(a: Sequence[str], b: Sequence[str]) -> float:
    """2 * matches / (len a + len b) on the lowest-cost edit path, ties going to substitution, then insertion
    (the `edit_distance` package's SequenceMatcher.ratio, which the evaluator uses)."""
    if not a and not b:
        return 1.0
    if list(a) == list(b):
        return 1.0
    if not a or not b:
        return 0.0
    cost = list(range(len(b) + 1))
    matches = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        new_cost, new_matches = [i] + [0] * len(b), [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            same = a[i - 1] == b[j - 1]
            sub, ins, dele = cost[j - 1] + (not same), new_cost[j - 1] + 1, cost[j] + 1
            best = min(sub, ins, dele)
            if best == sub:
                new_cost[j], new_matches[j] = sub, matches[j - 1] + same
            elif best == ins:
                new_cost[j], new_matches[j] = ins, new_matches[j - 1]
            else:
                new_cost[j], new_matches[j] = dele, matches[j]
        cost, matches = new_cost, new_matches
    return 2.0 * matches[-1] / (len(a) + len(b))


@lru_cache(maxsize=1)
def _official_lemmatizer() -> Callable[[str], list[str]] | None:
    try:
        import spacy

        nlp = spacy.load("en_core_web_sm", disable=["ner"])
    except (ImportError, OSError):
        return None
    return lambda text: [t.lemma_ for t in nlp(text)]


def ged_lemmatizer() -> tuple[str, Callable[[str], list[str]]]:
    """("ged", en_core_web_sm lemmas) where the model is installed, else ("ged_approx", lookup lemmas)."""
    official = _official_lemmatizer()
    return ("ged", official) if official else ("ged_approx", lookup_lemmas)


def to_graph(decomposition: str) -> nx.DiGraph:
    labels = evaluator_steps(decomposition)
    nodes, refs = graph_nodes(labels)
    graph = nx.DiGraph()
    graph.add_edges_from((i, k) for i, ks in refs.items() for k in ks)
    for i, label in enumerate(labels, start=1):
        graph.add_node(i, label=label)
    for node in nodes:
        graph.nodes[node].setdefault("label", "")  # a referenced step that does not exist
    return graph


def ged(predicted: str, gold: str, lemmatize: Callable[[str], list[str]], timeout: float) -> float | None:
    """Normalised graph edit distance (0 = same graph); None when the search exceeds `timeout` seconds."""
    g1, g2 = to_graph(predicted), to_graph(gold)

    @cache
    def lemmas(label: str) -> tuple[str, ...]:
        return tuple(lemmatize(label))

    def subst(n1: dict, n2: dict) -> float:
        return 1 - match_ratio(lemmas(n1["label"]), lemmas(n2["label"]))

    start, cost = time.perf_counter(), None
    for *_, found in nx.optimize_edit_paths(g1, g2, node_subst_cost=subst, timeout=timeout):
        cost = found  # each is lower; the last one is the minimum once the search completes
    if cost is None or time.perf_counter() - start >= timeout:
        return None
    return float(cost) / max(len(g1.nodes) + len(g1.edges), len(g2.nodes) + len(g2.edges))
