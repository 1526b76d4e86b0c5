"""Explicit decomposition: ask the steps one at a time, `#k` filled with the answer of step k.

Sub-answer supervision (BREAK has no sub-answers; every run records which variant it used):
- `final`: only the last step is supervised, with the final answer; its `#k` are expanded into the
  text of the referenced steps so the training input is self-contained.
- `oracle`: every step with a gold sub-answer (synthetic data, Successive-Prompting DROP) is supervised.
- `heuristic`: the final step, plus the HotpotQA bridge entity for the first step of a bridge question
  (the supporting-fact title the question does not mention).
`explicit-hybrid` hands symbolic steps (arithmetic, counts, comparisons, ...) to the QDMR executor and
trains the reader only on the steps it answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.qdmr.executor import execute as execute_step
from decomp.qdmr.executor import is_symbolic
from decomp.qdmr.steps import REFERENCE, Step
from decomp.strategies.base import AnswerFn, Strategy, register, whole_question
from decomp.types import Prediction, ReaderInput, as_spans, join_spans

SUPERVISION = ("final", "oracle", "heuristic")


def expand(steps: Sequence[Step], k: int, known: dict[int, str]) -> str:
    """Text of step k with each `#j` replaced by a known answer, else by step j's own expanded text."""
    def fill(match):
        j = int(match.group(1))
        return known[j] if j in known else f"({expand(steps, j, known)})"
    return REFERENCE.sub(fill, steps[k - 1].text)


def bridge_entity(example: Example) -> str | None:
    """HotpotQA heuristic: the supporting title the question does not name is the bridge entity."""
    titles = list(dict.fromkeys(t for t, _ in example.supporting_facts))
    unnamed = [t for t in titles if t.lower() not in example.question.lower()]
    return unnamed[0] if example.question_type == "bridge" and len(unnamed) == 1 else None


@register
class Explicit(Strategy):
    name = "explicit"
    format_version = 1

    def __init__(self, supervision: str = "final") -> None:
        if supervision not in SUPERVISION:
            raise ConfigError(f"unknown supervision {supervision!r}; choose from {', '.join(SUPERVISION)}")
        self.supervision = supervision

    def describe(self) -> dict:
        return {**super().describe(), "supervision": self.supervision}

    # -- training -------------------------------------------------------------------------------
    def sub_answers(self, example: Example) -> dict[int, tuple[str, ...]]:
        """Supervised steps (1-based) and their targets, by the chosen supervision variant."""
        n = len(example.decomposition)
        targets: dict[int, tuple[str, ...]] = {}
        if self.supervision == "oracle":
            for k, answer in enumerate(example.sub_answers, start=1):
                if answer is not None and not answer.is_empty():
                    targets[k] = answer.texts()
        elif self.supervision == "heuristic" and n > 1:
            entity = bridge_entity(example)
            if entity is not None:
                targets[1] = (entity,)
        return targets

    def reader_steps(self, example: Example) -> set[int]:
        """Steps the reader answers (all of them here; the hybrid leaves symbolic ones out)."""
        return set(range(1, len(example.decomposition) + 1))

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        steps = example.decomposition
        if not steps:
            return [whole_question(example)]
        targets = self.sub_answers(example)
        known = {k: join_spans(v) for k, v in targets.items()}
        inputs = []
        for k in sorted(self.reader_steps(example)):
            if k == len(steps):
                golds = tuple(example.gold_texts())
            elif k in targets:
                golds = (targets[k],)
            else:
                continue
            inputs.append(ReaderInput(f"{example.id}#{k}", example.id, expand(steps, k, known),
                                      example.passage, golds, step=k))
        # A hybrid whose last step is symbolic may leave the reader nothing: teach it to read anyway.
        return inputs or [whole_question(example)]

    # -- inference ------------------------------------------------------------------------------
    def execute(self, example: Example, step: Step, previous: dict[int, list[str]]) -> list[str] | None:
        """A symbolic answer for the step, or None to ask the reader (plain explicit: always None)."""
        return None

    def predict(self, examples: Sequence[Example], answer: AnswerFn) -> list[Prediction]:
        values: dict[str, dict[int, list[str]]] = {e.id: {} for e in examples}
        traces: dict[str, list[dict]] = {e.id: [] for e in examples}
        undecomposed = [e for e in examples if not e.decomposition]
        if undecomposed:
            inputs = [whole_question(e) for e in undecomposed]
            got = {uid: as_spans(a) for uid, a in answer(inputs).items()}
            for e, i in zip(undecomposed, inputs, strict=True):
                values[e.id][0] = list(got[i.uid])
                traces[e.id].append({"step": 0, "question": i.question, "answer": join_spans(got[i.uid]),
                                     "spans": list(got[i.uid]), "by": "reader", "note": "no decomposition"})
        depth = max((len(e.decomposition) for e in examples), default=0)
        for k in range(1, depth + 1):  # step-synchronous: one batched reader call per step index
            asked: list[tuple[Example, Step, ReaderInput]] = []
            for e in examples:
                if len(e.decomposition) < k:
                    continue
                step, previous = e.decomposition[k - 1], values[e.id]
                text = expand(e.decomposition, k, {j: join_spans(v) for j, v in previous.items()})
                result = self.execute(e, step, previous)
                if result is not None:
                    previous[k] = result
                    traces[e.id].append({"step": k, "operator": step.operator, "question": text,
                                         "answer": join_spans(result), "spans": list(result), "by": "executor"})
                else:
                    asked.append((e, step, ReaderInput(f"{e.id}#{k}", e.id, text, e.passage, step=k)))
            got = {uid: as_spans(a) for uid, a in answer([i for _, _, i in asked]).items()} if asked else {}
            for e, step, i in asked:
                values[e.id][k] = list(got[i.uid])  # a set of spans: a count over it counts them
                traces[e.id].append({"step": k, "operator": step.operator, "question": i.question,
                                     "answer": join_spans(got[i.uid]), "spans": list(got[i.uid]), "by": "reader"})
        out = []
        for e in examples:
            final = values[e.id][len(e.decomposition)] if e.decomposition else values[e.id][0]
            out.append(Prediction(e.id, join_spans(final), traces[e.id], tuple(final)))
        return out


@register
class ExplicitHybrid(Explicit):
    name = "explicit-hybrid"
    format_version = 1

    def reader_steps(self, example: Example) -> set[int]:
        return {k for k, s in enumerate(example.decomposition, start=1) if not is_symbolic(s)}

    def execute(self, example: Example, step: Step, previous: dict[int, list[str]]) -> list[str] | None:
        if not is_symbolic(step):
            return None
        # The steps and question let a "which ... of #1 , #2" step name its winner.
        return execute_step(step, previous, steps=example.decomposition, question=example.question)
