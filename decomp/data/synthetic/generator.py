"""`generate`: the seeded synthetic set, DROP-like passages and HotpotQA-like paragraph sets mixed."""

from __future__ import annotations

import random

from decomp.data.schema import Example, Paragraph
from decomp.data.synthetic import (
    battle,
    census,
    football,
    football_questions,
    football_three_hops,
    hotpot,
    hotpot_compare,
)
from decomp.data.synthetic.build import Built, Template, ask, depth
from decomp.data.synthetic.config import SyntheticConfig
from decomp.data.synthetic.library import Library
from decomp.data.synthetic.vocab import Namer, Vocab
from decomp.errors import ConfigError
from decomp.qdmr.steps import Step, references_of, validate_references

SOURCES = {"drop": "synthetic-drop", "hotpot": "synthetic-hotpot"}
DOMAINS = {"football": (football.game, football_questions.TEMPLATES + football_three_hops.TEMPLATES),
           "battle": (battle.war, battle.TEMPLATES),
           "census": (census.census, census.TEMPLATES)}
HOTPOT = hotpot.TEMPLATES + hotpot_compare.TEMPLATES
ENTITY_KINDS = ("film", "novel", "company", "person")
MAX_FAILED_PASSAGES = 50


def generate(n: int, seed: int = 0, config: SyntheticConfig | None = None) -> list[Example]:
    """`n` examples, the same for the same (n, seed, config); a smaller `n` gives a prefix of a larger one.

    Ids are `synthetic-<drop|hotpot>-<seed>-<i>`; `group` names the passage (several DROP-like
    questions share one), so splitting by group keeps a passage on one side.
    """
    cfg = config or SyntheticConfig()
    if not isinstance(n, int) or n < 0:
        raise ConfigError(f"n must be a non-negative integer, got {n!r}")
    _check_askable(cfg)
    vocab = Vocab(cfg.vocab_seed, cfg.vocab_slice)
    kinds = [k for k, w in cfg.kinds.items() if w > 0]
    # Kind weights are shares of examples; a DROP-like passage carries several questions.
    per_passage = [cfg.kinds[k] / (cfg.questions_per_passage if k == "drop" else 1) for k in kinds]
    examples: list[Example] = []
    passage = failed = 0
    while len(examples) < n:
        rng = random.Random(f"synthetic:{seed}:{passage}")
        kind = rng.choices(kinds, per_passage)[0]
        made = _drop(rng, vocab, cfg) if kind == "drop" else _hotpot(rng, vocab, cfg)
        failed = 0 if made else failed + 1
        if failed > MAX_FAILED_PASSAGES:
            raise ConfigError(f"no question could be generated for {failed} passages in a row under {cfg}")
        for domain, context, template, built, facts in made:
            examples.append(_example(f"{SOURCES[kind]}-{seed}-{len(examples)}", SOURCES[kind],
                                     f"{SOURCES[kind]}-{seed}-p{passage}", context, template, built,
                                     {"domain": domain, **facts}))
        passage += 1
    return examples[:n]


def _check_askable(cfg: SyntheticConfig) -> None:
    pools = {"drop": [t for d in cfg.drop_domains for t in DOMAINS[d][1]], "hotpot": list(HOTPOT)}
    for kind, weight in cfg.kinds.items():
        if weight > 0 and not any(t.hops in cfg.hops and cfg.answer_types.get(t.answer_type, 0) > 0
                                  for t in pools[kind]):
            raise ConfigError(f"no {kind} question template has a depth in {cfg.hops} and an answer type "
                              f"weighted above 0 in {cfg.answer_types}")


def _drop(rng: random.Random, vocab: Vocab, cfg: SyntheticConfig) -> list:
    domain = rng.choice(cfg.drop_domains)
    make_world, templates = DOMAINS[domain]
    world = make_world(rng, Namer(rng, vocab), cfg.passage_sentences)
    asked: list[tuple[Template, Built]] = []
    used: set[str] = set()
    for _ in range(4 * cfg.questions_per_passage):
        if len(asked) == cfg.questions_per_passage:
            break
        got = ask(rng, templates, cfg.answer_types, cfg.hops, world, used)
        if got is not None and all(got[1].question != b.question for _, b in asked):
            used.add(got[0].name)
            asked.append(got)
    context = (Paragraph("", world.text),)
    return [(domain, context, template, built, {"facts": world.facts()}) for template, built in asked]


def _hotpot(rng: random.Random, vocab: Vocab, cfg: SyntheticConfig) -> list:
    for _ in range(10):
        lib = Library(rng, Namer(rng, vocab), cfg.paragraph_sentences)
        got = ask(rng, HOTPOT, cfg.answer_types, cfg.hops, lib, tries=1)
        if got is not None:
            break
    else:
        return []
    gold = list(lib.kinds.values())
    for _ in range(cfg.distractors):
        # Mostly the kinds the question reads (similar-looking paragraphs), as HotpotQA's retrieval gives.
        lib.distractor(rng.choice(gold) if rng.random() < 0.7 else rng.choice(ENTITY_KINDS))
    titles = list(lib.paragraphs)
    rng.shuffle(titles)
    context = tuple(Paragraph(t, " ".join(lib.paragraphs[t]), lib.paragraphs[t]) for t in titles)
    return [("hotpot", context, *got, {})]


def _example(ex_id: str, source: str, group: str, context: tuple[Paragraph, ...], template: Template,
             built: Built, meta: dict) -> Example:
    texts = [text for text, _, _ in built.steps]
    validate_references(texts)
    return Example(
        id=ex_id, source=source, question=built.question, context=context, answers=(built.steps[-1][2],),
        decomposition=tuple(Step(text, op, references_of(text)) for text, op, _ in built.steps),
        sub_answers=tuple(answer for _, _, answer in built.steps), group=group,
        question_type=built.question_type, supporting_facts=built.support,
        meta={"template": template.name, "hops": depth(texts), **meta})
