"""Make tests/decomposers/fixtures/break_eval_vectors.json: per-example EM and SARI from the official BREAK
evaluator's own functions (`format_qdmr`, `get_exact_match`, `get_sari_score`), run beside the project.

Not run in CI: it needs a checkout of allenai/break-evaluator and a Python with its requirements (pandas, numpy,
networkx, spacy, edit_distance, progressbar2, overrides; no spaCy model is needed for EM and SARI). Run it with
that Python, e.g.

    /tmp/breakeval-venv/bin/python benchmarks/break_eval_vectors.py --evaluator /tmp/break-evaluator \
        --evaluator-commit d89b6f18da00ecbd5c17b16146f5befb3fc3fee6 \
        --break-csv $DECOMP_DATA_DIR/raw/break/QDMR-high-level/dev.csv \
        --pred drop=/tmp/drop0.jsonl --pred hotpotqa=/tmp/hotpotqa0.jsonl --per-source 30 --ged-lookup \
        --out tests/decomposers/fixtures/break_eval_vectors.json

Add `--ged-lookup` to also record the evaluator's GED (`GraphMatchScorer`) with spaCy's lookup lemmas standing in
for en_core_web_sm (spacy-lookups-data installed there): what the project's `ged_approx` must reproduce.
The predictions come from `decomp decompose --input drop:fold0 --out /tmp/drop0.jsonl` (and hotpotqa:fold0).
Every pair that hits a quirk is kept, then the first `--per-source` others of each source; hand-made pairs cover
any quirk the real pairs miss. All are scored by the evaluator.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Hand-made pairs: (id, question, predicted, gold); the quirk each exercises is in its id.
HAND_MADE = [
    ("hand_return_substring", "How many punt returns did  Smith have?",
     "return punt returns of Smith ;return number of #1", "return punt returns by Smith ;return number of #1"),
    ("hand_semicolon_in_step", "Who won; and by how many points?",
     "return winner ; loser ;return points of #1", "return winner ;return points of #1"),
    ("hand_double_space_question", "Which  team scored  first?",
     "return teams ;return #1 that scored first", "return teams ;return #1 that scored first"),
    ("hand_case_only", "Who directed Titanic?",
     "return Titanic ;return director of #1", "return titanic ;return Director of #1"),
    ("hand_returned_in_question", "Who returned the kickoff?",
     "return kickoff ;return who returned #1", "return kickoff ;return player that returned #1"),
]


def quirks(question: str, predicted: str, gold: str) -> list[str]:
    found = []
    if "  " in question:
        found.append("double_space_question")
    if any("return" in s.strip().removeprefix("return") for s in (predicted + ";" + gold).split(";")):
        found.append("return_substring")
    if any(not part.strip().startswith("return") for part in (predicted + ";" + gold).split(";")):
        found.append("semicolon_in_step")
    return found


def load_evaluator(path: Path):
    sys.path[:0] = [str(path), str(path / "scripts")]
    import pandas as pd

    set_option = pd.set_option

    def tolerant(key, value, *args):  # the evaluator sets max_colwidth=-1, which pandas >= 1.0 rejects
        if key == "display.max_colwidth" and value == -1:
            value = None
        return set_option(key, value, *args)

    pd.set_option = tolerant
    import evaluate_predictions

    return evaluate_predictions


def evaluator_ged_lookup(ep, pairs: list[dict]) -> list[float | None]:
    """The evaluator's GED with `spacy.load` answering a blank English pipeline with the lookup lemmatizer."""
    import spacy

    def lookup_pipeline(*_args, **_kwargs):
        nlp = spacy.blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return nlp

    spacy.load = lookup_pipeline
    from evaluation.graph_matcher import GraphMatchScorer

    graphs = [(ep.format_qdmr(p["predicted"]).to_graph(), ep.format_qdmr(p["gold"]).to_graph()) for p in pairs]
    return GraphMatchScorer().get_edit_distance_match_scores([g[0] for g in graphs], [g[1] for g in graphs])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])  # no docstring under -OO
    parser.add_argument("--evaluator", type=Path, required=True, help="checkout of allenai/break-evaluator")
    parser.add_argument("--break-csv", type=Path, required=True, help="BREAK high-level dev.csv (gold)")
    parser.add_argument("--pred", action="append", required=True, help="source=predictions.jsonl")
    parser.add_argument("--per-source", type=int, default=40, help="pairs without a quirk kept per source")
    parser.add_argument("--evaluator-commit", default=None, help="the checkout's commit, recorded in the fixture")
    parser.add_argument("--ged-lookup", action="store_true", help="also the evaluator's GED with lookup lemmas")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from decomp.qdmr.steps import Step, to_break_string

    ep = load_evaluator(args.evaluator)
    with open(args.break_csv, newline="", encoding="utf-8") as f:
        gold = {r["question_id"]: (r["question_text"], r["decomposition"]) for r in csv.DictReader(f)}
    pairs = []
    for spec in args.pred:
        source, _, path = spec.partition("=")
        others = 0
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            question, gold_str = gold[record["id"]]
            predicted = to_break_string([Step.from_dict(s) for s in record["steps"]])
            found = quirks(question, predicted, gold_str)
            if not found and others >= args.per_source:
                continue
            others += not found
            pairs.append({"id": record["id"], "source": source, "question": question, "predicted": predicted,
                          "gold": gold_str, "quirks": found})
    for id_, question, predicted, gold_str in HAND_MADE:
        pairs.append({"id": id_, "source": "hand-made", "question": question, "predicted": predicted,
                      "gold": gold_str, "quirks": quirks(question, predicted, gold_str)})
    predicted = [ep.format_qdmr(p["predicted"]).to_string() for p in pairs]
    golds = [ep.format_qdmr(p["gold"]).to_string() for p in pairs]
    em = ep.get_exact_match(predicted, golds)
    sari = ep.get_sari_score(predicted, golds, [p["question"] for p in pairs])
    for p, s_pred, s_gold, e, s in zip(pairs, predicted, golds, em, sari, strict=True):
        p.update({"evaluator_predicted": s_pred, "evaluator_gold": s_gold, "exact_match": bool(e),
                  "sari": float(s)})
    if args.ged_lookup:
        for p, distance in zip(pairs, evaluator_ged_lookup(ep, pairs), strict=True):
            p["ged_lookup"] = distance
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"evaluator": "allenai/break-evaluator scripts/evaluate_predictions.py (format_qdmr, get_exact_match, "
                         "get_sari_score; GraphMatchScorer with lookup lemmas)",
            "evaluator_commit": args.evaluator_commit,
            "made_by": "benchmarks/break_eval_vectors.py " + " ".join(sys.argv[1:])}
    args.out.write_text(json.dumps({"meta": meta, "pairs": pairs}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(pairs)} pairs to {args.out}")


if __name__ == "__main__":
    main()
