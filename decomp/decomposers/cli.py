"""`decomp decompose` and `decomp decompose-score` (heavy imports stay lazy). The seq2seq decomposer trains
through the LightningCLI: `decomp fit --config configs/decomposers/minilm.yaml`."""

from __future__ import annotations

import argparse
import json


def _print_scores(scores: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(scores, indent=2, sort_keys=True))
        return
    print(f"n={scores['n']} missing={scores['missing']}  EM {100 * scores['exact_match']:.1f}  "
          f"norm-EM {100 * scores['normalized_exact_match']:.1f}  SARI {100 * scores['sari']:.1f}  "
          f"valid #k {100 * scores['valid']:.1f}")
    print(f"{'operator':<14}{'gold':>7}{'pred':>7}{'match':>7}{'P':>7}{'R':>7}")
    for op, s in scores["operators"].items():
        print(f"{op:<14}{s['gold']:>7}{s['predicted']:>7}{s['matched']:>7}"
              f"{100 * s['precision']:>7.1f}{100 * s['recall']:>7.1f}")


def _score(pred: dict, items: list) -> dict:
    from decomp.decomposers.scoring import score_decompositions

    gold = {i: steps for i, _, steps in items if steps}
    return score_decompositions(pred, gold, {i: q for i, q, _ in items})


def _decompose(args: argparse.Namespace) -> int:
    from decomp.data.decompositions import write_decompositions
    from decomp.decomposers import load_decomposer
    from decomp.decomposers.questions import load_questions

    items = load_questions(args.input, args.data_dir)
    decomposer = load_decomposer(args.decomposer)
    steps = decomposer.decompose([q for _, q, _ in items])
    # The checkpoint's own file name is always last.ckpt: record its model and path instead.
    source = "rules" if args.decomposer == "rules" else f"{decomposer.hparams.model} seq2seq ({args.decomposer})"
    write_decompositions(args.out, [(i, s) for (i, _, _), s in zip(items, steps, strict=True)], source)
    print(f"wrote {len(items)} decompositions to {args.out}")
    if args.score_against_gold:
        _print_scores(_score({i: s for (i, _, _), s in zip(items, steps, strict=True)}, items), args.json)
    return 0


def _score_file(args: argparse.Namespace) -> int:
    from decomp.data.decompositions import read_decompositions
    from decomp.decomposers.questions import load_questions

    _print_scores(_score(read_decompositions(args.pred), load_questions(args.gold, args.data_dir)), args.json)
    return 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    data_dir = {"default": None, "help": "folder holding raw/ (default: $DECOMP_DATA_DIR)"}
    questions = ("questions: drop:deployed, drop:pool, drop:fold<k> (the gold protocol's held-out fold k), "
                 "the same for hotpotqa, break:<dev|test>[:DROP|HOTPOT|CWQ], or a JSONL of {id, question}")

    run = sub.add_parser("decompose", help="write predicted decompositions for a set of questions")
    run.add_argument("--input", required=True, help=questions)
    run.add_argument("--out", required=True, help="JSONL to write (read by decompositions=predicted)")
    run.add_argument("--decomposer", default="rules",
                     help="'rules' or a decomposer checkpoint (decomp fit --config configs/decomposers/...)")
    run.add_argument("--score-against-gold", action="store_true",
                     help="also score against the input's gold decompositions (pools, break:dev)")
    run.add_argument("--json", action="store_true", help="print scores as JSON")
    run.add_argument("--data-dir", **data_dir)
    run.set_defaults(run=_decompose)

    score = sub.add_parser("decompose-score", help="BREAK-style scores of a predicted-decompositions file")
    score.add_argument("--pred", required=True, help="predicted decompositions JSONL")
    score.add_argument("--gold", required=True, help="gold questions with decompositions: " + questions)
    score.add_argument("--json", action="store_true", help="print scores as JSON")
    score.add_argument("--data-dir", **data_dir)
    score.set_defaults(run=_score_file)
