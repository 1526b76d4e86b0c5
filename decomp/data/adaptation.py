"""QA data for adapting a reader's starting point, as `Example` records (`../shared/data/raw/qa-adapt/`).

Every source becomes plain questions over a context with DROP-style answers, grouped by passage (so a held-out
slice is whole passages). The file sources are fixed copies (see SOURCES.md); `drop-dev-outside` and
`hotpotqa-dev-outside` are computed: the dataset's dev questions whose passages no evaluation set of the
recipe's protected protocols touches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from decomp.data.overlap import Protected
from decomp.data.schema import Answer, Example, Paragraph
from decomp.data.sources.drop import clean_text, passage_key
from decomp.errors import ConfigError, DataError

ADAPT_DIR = Path("raw") / "qa-adapt"
SOURCE_PREFIX = "adapt-"  # Example.source of adaptation records: never a dataset's own source name


def _read(path: Path) -> object:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ConfigError(f"adaptation source file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", file=str(path), row=exc.lineno) from None


def _squad_like(path: Path, name: str) -> list[Example]:
    """SQuAD v1.1 layout (`data[].paragraphs[].{context, qas}`); ROPES joins background and situation as the
    context. A question listing several answers (Quoref) is a multi-span answer when its texts differ."""
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataError("expected a SQuAD-layout object with a `data` list", file=str(path), field="data")
    examples = []
    for a, article in enumerate(data["data"]):
        for p, para in enumerate(article.get("paragraphs") or ()):
            row = f"data[{a}].paragraphs[{p}]"
            if "context" in para:
                context = para["context"]
            elif "background" in para and "situation" in para:
                context = f"{para['background']} {para['situation']}"
            else:
                raise DataError("no context (nor background and situation)", file=str(path), row=row,
                                field="context")
            context = clean_text(context)
            for q, qa in enumerate(para.get("qas") or ()):
                texts = tuple(dict.fromkeys(clean_text(x.get("text", "")) for x in qa.get("answers") or ()))
                texts = tuple(t for t in texts if t)
                question = clean_text(qa.get("question", ""))
                if not texts or not question:
                    raise DataError("a question needs text and at least one answer", file=str(path),
                                    row=f"{row}.qas[{q}]", field="answers" if question else "question")
                # SQuAD lists several annotators' texts of one span (alternatives); Quoref several spans.
                answers = (Answer.span(*texts),) if name == "quoref" else tuple(Answer.span(t) for t in texts)
                examples.append(Example(id=f"{name}:{qa.get('id', f'{a}.{p}.{q}')}", source=SOURCE_PREFIX + name,
                                        question=question, context=(Paragraph("", context),), answers=answers,
                                        group=passage_key(context), split="adapt"))
    return examples


def _relabel(examples: list[Example], name: str) -> list[Example]:
    from dataclasses import replace

    return [replace(e, id=f"{name}:{e.id}", source=SOURCE_PREFIX + name, split="adapt",
                    group=passage_key(e.passage)) for e in examples]


def _drop_train(data_dir: Path) -> list[Example]:
    """The DROP train sample and the Successive-Prompting train questions, each question once."""
    from decomp.data.sources.drop import load_drop_json, load_successive_prompting

    sample = load_drop_json(data_dir / ADAPT_DIR / "drop-train" / "drop_dataset_train_sample.json").examples
    sp = load_successive_prompting(data_dir / "raw" / "drop" / "successive-prompting" /
                                   "drop_dataset_train_300_annotations.json").examples
    seen: dict[str, Example] = {}
    for e in [*sample, *sp]:  # Successive Prompting second: its copy keeps the sub-answers
        seen[e.id] = e
    return _relabel(list(seen.values()), "drop-train")


def _drop_train_steps(data_dir: Path) -> list[Example]:
    """Successive Prompting's sub-questions with their answers, each a question over its passage: the only
    gold signal for the steps a decomposition strategy asks (BREAK has no sub-answers). Steps whose answer is
    missing, and symbolic steps (`if_then(...)`, `diff(...)`: the executor's, not a reader's) are left out."""
    from dataclasses import replace

    from decomp.data.sources.drop import SP_FUNCTION, load_successive_prompting

    path = data_dir / "raw" / "drop" / "successive-prompting" / "drop_dataset_train_300_annotations.json"
    out = []
    for e in load_successive_prompting(path).examples:
        for k, (step, answer) in enumerate(zip(e.decomposition, e.sub_answers, strict=False), start=1):
            if answer is None or answer.is_empty() or "#" in step.text or SP_FUNCTION.match(step.text):
                continue
            out.append(replace(e, id=f"{e.id}#{k}", question=clean_text(step.text), answers=(answer,),
                               decomposition=(), sub_answers=()))
    return _relabel(out, "drop-train-steps")


def _hotpotqa_train(data_dir: Path) -> list[Example]:
    from decomp.data.sources.hotpotqa import load_hotpotqa_file

    path = data_dir / ADAPT_DIR / "hotpotqa-train" / "hipporag_hotpotqa_train.json"
    if not path.exists():
        raise ConfigError(f"adaptation source file {path} does not exist")
    return _relabel(load_hotpotqa_file(path).examples, "hotpotqa-train")


def _files(*parts: str) -> Callable[[Path], list[Example]]:
    name = parts[0]
    return lambda data_dir: [e for f in parts[1:] for e in _squad_like(data_dir / ADAPT_DIR / name / f, name)]


# GenBERT-style numeric practice (Geva et al. 2020) from the project's own generator: its DROP-like passages
# (football, census, battle) with counts, differences, sums and spans. A seed and size of its own, apart from the
# synthetic curves' pools; generated, so no file and no BREAK question.
SYNTHETIC_SEED, SYNTHETIC_QUESTIONS = 2027, 6000


def _synthetic_numeric(data_dir: Path) -> list[Example]:
    from decomp.data.datasets import get_dataset

    pool = get_dataset("synthetic", n=SYNTHETIC_QUESTIONS, seed=SYNTHETIC_SEED, n_deployed=0).pool()
    return _relabel([e for e in pool if e.source == "synthetic-drop"], "synthetic-numeric")


FILE_SOURCES: dict[str, Callable[[Path], list[Example]]] = {
    "squad": _files("squad", "du_test-v1.1.json", "dev-v1.1_half_a.json", "dev-v1.1_half_b.json"),
    "quoref": _files("quoref", "quoref-dev-v0.1.json"),
    "ropes": _files("ropes", "train-v1.0.json", "dev-v1.0.json"),
    "drop-train": _drop_train,
    "drop-train-steps": _drop_train_steps,
    "hotpotqa-train": _hotpotqa_train,
    "synthetic-numeric": _synthetic_numeric,
}
OUTSIDE_SOURCES = {"drop-dev-outside": "drop", "hotpotqa-dev-outside": "hotpotqa"}
SOURCES = (*FILE_SOURCES, *OUTSIDE_SOURCES)


def dev_outside(dataset: str, protected: Protected, data_dir: Path) -> list[Example]:
    """The dataset's dev questions (DROP: every dev question; HotpotQA: those outside BREAK's gold pool) that
    share no question or paragraph with the `protected` evaluation sets."""
    from decomp.data.datasets import get_dataset

    ds = get_dataset(dataset, data_dir=data_dir)
    kept = [e for e in ds.adaptation_records()
            if not protected.touches(e) and e.answers and not e.answers[0].is_empty()]
    return _relabel(kept, f"{dataset}-dev-outside")


def load_source(name: str, data_dir: Path) -> list[Example]:
    """The records of one file source (computed sources come from `dev_outside`)."""
    if name not in FILE_SOURCES:
        raise ConfigError(f"unknown adaptation source {name!r}; known: {', '.join(SOURCES)}")
    return FILE_SOURCES[name](data_dir)
