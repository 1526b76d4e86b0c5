"""`decomp decompose` and `decomp decompose-score` (heavy imports stay lazy). The seq2seq decomposer trains
through the LightningCLI: `decomp fit --config configs/decomposers/minilm.yaml`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from decomp.errors import ConfigError


def _print_scores(scores: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(scores, indent=2, sort_keys=True))
        return
    norm = "norm_em" if "norm_em" in scores else "norm_em_approx"
    ged = next((k for k in ("ged", "ged_approx") if k in scores), None)
    print(f"n={scores['n']} missing={scores['missing']} (from BREAK's raw rows: {scores['from_break_rows']})  "
          f"EM {100 * scores['exact_match']:.2f}  SARI {100 * scores['sari']:.2f}  "
          f"{norm} {100 * scores[norm]:.2f} (norm_failed {scores['norm_failed']})"
          + (f"  {ged} {scores[ged]:.3f} (ged_timeouts {scores['ged_timeouts']})" if ged else ""))
    print(f"without the evaluator's bugs: exact_match_fixed {100 * scores['exact_match_fixed']:.2f}  "
          f"sari_fixed {100 * scores['sari_fixed']:.2f};  valid #k {100 * scores['valid']:.1f}")
    print(f"{'operator':<14}{'gold':>7}{'pred':>7}{'match':>7}{'P':>7}{'R':>7}")
    for op, s in scores["operators"].items():
        print(f"{op:<14}{s['gold']:>7}{s['predicted']:>7}{s['matched']:>7}"
              f"{100 * s['precision']:>7.1f}{100 * s['recall']:>7.1f}")


def _normalizer(args: argparse.Namespace) -> Callable[[str], str | None] | None:
    """Check the scoring flags (before anything is written) and load the official normaliser if asked for."""
    if args.ged_timeout <= 0:
        raise ConfigError(f"--ged-timeout must be positive, got {args.ged_timeout}")
    if not args.break_evaluator:
        return None
    from decomp.decomposers.break_norm import OfficialNormalizer

    return OfficialNormalizer(args.break_evaluator).normal_string


def _score(pred: dict, items: list, args: argparse.Namespace, normalizer: Callable[[str], str | None] | None) -> dict:
    from decomp.data.datasets import resolve_data_dir
    from decomp.decomposers.break_eval import read_break_rows
    from decomp.decomposers.scoring import score_decompositions

    # The evaluator scores BREAK's raw question and decomposition strings: read them where the gold is BREAK's.
    try:
        high_level = resolve_data_dir(args.data_dir) / "raw" / "break" / "QDMR-high-level"
    except ConfigError:
        high_level = None
    csvs = [high_level / f"{split}.csv" for split in ("dev", "test")] if high_level else []
    raw = read_break_rows(p for p in csvs if p.is_file())
    gold = {i: steps for i, _, steps in items if steps}
    return score_decompositions(pred, gold, {i: q for i, q, _ in items}, {i: raw[i] for i in gold if i in raw},
                                normalizer=normalizer, ged_timeout=args.ged_timeout if args.ged else None)


def _decompose(args: argparse.Namespace) -> int:
    from decomp.data.decompositions import write_decompositions
    from decomp.decomposers import load_decomposer
    from decomp.decomposers.questions import load_questions

    normalizer = _normalizer(args) if args.score_against_gold else None
    items = load_questions(args.input, args.data_dir)
    decomposer = load_decomposer(args.decomposer)
    steps = decomposer.decompose([q for _, q, _ in items])
    # The checkpoint's own file name is always last.ckpt: record its model and path instead.
    source = "rules" if args.decomposer == "rules" else f"{decomposer.hparams.model} seq2seq ({args.decomposer})"
    write_decompositions(args.out, [(i, s) for (i, _, _), s in zip(items, steps, strict=True)], source)
    print(f"wrote {len(items)} decompositions to {args.out}")
    if args.score_against_gold:
        _print_scores(_score({i: s for (i, _, _), s in zip(items, steps, strict=True)}, items, args, normalizer),
                      args.json)
    return 0


def _score_file(args: argparse.Namespace) -> int:
    from decomp.data.decompositions import read_decompositions
    from decomp.decomposers.questions import load_questions

    normalizer = _normalizer(args)
    _print_scores(_score(read_decompositions(args.pred), load_questions(args.gold, args.data_dir), args, normalizer),
                  args.json)
    return 0


def _scoring_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print scores (and per-example scores) as JSON")
    parser.add_argument("--break-evaluator", default=None,
                        help="checkout of allenai/break-evaluator: report the official norm_em with its normaliser "
                             "(needs spaCy's en_core_web_sm); without it norm_em_approx")
    parser.add_argument("--ged", action="store_true", help="also the evaluator's graph edit distance (slow)")
    parser.add_argument("--ged-timeout", type=float, default=10.0,
                        help="seconds per example for --ged; slower ones are counted in ged_timeouts and left out")


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
    _scoring_options(run)
    run.add_argument("--data-dir", **data_dir)
    run.set_defaults(run=_decompose)

    score = sub.add_parser("decompose-score", help="BREAK-style scores of a predicted-decompositions file")
    score.add_argument("--pred", required=True, help="predicted decompositions JSONL")
    score.add_argument("--gold", required=True, help="gold questions with decompositions: " + questions)
    _scoring_options(score)
    score.add_argument("--data-dir", **data_dir)
    score.set_defaults(run=_score_file)
