"""In-context learning as a learner: a causal LM answers with demonstrations in its prompt, no weight update.

Demonstrations are the training subset's examples, in the subset's (nested) order, as many as fit
(`set_demonstrations`); each shows what the strategy would train a reader on. For explicit strategies
that is the chain of sub-questions and their answers under one passage (Successive Prompting /
least-to-most style), and the model answers its own chain the same way: each step it is asked comes after
the steps it already answered for that question. A demonstration is never the evaluated question nor
shares its passage.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import ClassVar

from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.readers import register_reader
from decomp.readers.base import check_unique_uids
from decomp.readers.causal import CausalReader, encode, fit_prompt
from decomp.readers.prompts import PromptFormat, Turn
from decomp.readers.seq2seq import SPAN_SEPARATOR, target_text
from decomp.types import ReaderInput

log = logging.getLogger(__name__)
_KEY = "model.init_args"


class Demonstration:
    """One training example shown in the prompt: its turns (question, gold answer) under its passage."""

    def __init__(self, example: Example, inputs: Sequence[ReaderInput], fmt: PromptFormat):
        self.example_id, self.passage, self.question = example.id, example.passage, example.question
        answered = [i for i in inputs if target_text(i)]
        self.turns: list[Turn] = [(fmt.turn(i.question, i.context, first=k == 0), target_text(i))
                                  for k, i in enumerate(answered)]

    def shows(self, item: ReaderInput) -> bool:
        """Whether showing this demonstration would leak the question asked or its passage."""
        return self.example_id == item.example_id or self.passage == item.context


@register_reader("causal-icl")
class InContextReader(CausalReader):
    """A frozen causal LM prompted with demonstrations (0 demonstrations: zero-shot).

    Args (besides `CausalReader`'s; its fine-tuning options are ignored):
        n_demonstrations: how many demonstrations to show (None: as many as fit); more than fit is an error.
        query_tokens: tokens kept for the asked question, its passage and its chain of steps; the
            demonstrations get `max_length - query_tokens - max_new_tokens`.
    """

    in_context: ClassVar[bool] = True

    @classmethod
    def grid_args(cls, max_length: int) -> dict:
        # Room for demonstrations: the query keeps twice an encoder's window, demonstrations as much again.
        return {**super().grid_args(max_length), "max_length": 8 * max_length, "query_tokens": 4 * max_length}

    def __init__(self, n_demonstrations: int | None = None, query_tokens: int = 512, **kwargs):
        max_length, max_new = kwargs.get("max_length", 1024), kwargs.get("max_new_tokens", 32)
        if n_demonstrations is not None and n_demonstrations < 0:
            raise ConfigError(f"{_KEY}.n_demonstrations must be >= 0 or null, got {n_demonstrations}")
        if not 0 < query_tokens <= max_length - max_new:
            raise ConfigError(f"{_KEY}.query_tokens must be in (0, max_length - max_new_tokens], got "
                              f"{query_tokens} with max_length {max_length}")
        super().__init__(**kwargs)
        self.n_demonstrations = n_demonstrations
        self.query_tokens = query_tokens
        self.demonstrations: list[Demonstration] | None = None
        self._chains: dict[str, list[Turn]] = {}

    def attach_strategy(self, strategy) -> None:
        # No weight update: added tokens would keep untrained embeddings, so markers stay plain text.
        self.strategy = strategy
        if self.hparams.get("strategy") is None:
            self.hparams["strategy"] = getattr(strategy, "name", None)
        self._prepare_weights()

    # --- demonstrations ---------------------------------------------------------------------------------
    def demonstration_budget(self) -> int:
        return self.max_length - self.query_tokens - self.max_new_tokens

    def set_demonstrations(self, examples: Sequence[Example]) -> int:
        """Take the longest prefix of `examples` whose demonstrations fit (exactly `n_demonstrations` of
        them when set); returns how many are shown."""
        strategy, fmt = self._require_strategy(), self.fmt
        candidates = [d for d in (Demonstration(e, strategy.training_inputs(e), fmt) for e in examples) if d.turns]
        budget, chosen = self.demonstration_budget(), []
        wanted = len(candidates) if self.n_demonstrations is None else min(self.n_demonstrations, len(candidates))
        for demo in candidates[:wanted]:
            if self._tokens([*chosen, demo]) > budget:
                break
            chosen.append(demo)
        if self.n_demonstrations is not None and len(chosen) < wanted:
            raise ConfigError(f"{_KEY}.n_demonstrations: {wanted} demonstrations take "
                              f"{self._tokens(candidates[:wanted])} tokens but only {budget} fit "
                              f"(max_length - query_tokens - max_new_tokens); lower n_demonstrations or raise "
                              "max_length")
        self.demonstrations = chosen
        return len(chosen)

    def _tokens(self, demos: Sequence[Demonstration]) -> int:
        fmt = self.fmt
        return len(encode(self.tokenizer, fmt, fmt.render(self.tokenizer, [d.turns for d in demos] + [[("", None)]])))

    def setup(self, stage: str) -> None:
        # Through a data module (`decomp fit|validate|test`), the demonstrations are its training subset.
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if self.demonstrations is None and datamodule is not None and hasattr(datamodule, "fit_set"):
            n = self.set_demonstrations(datamodule.fit_set)
            log.info("%d demonstrations from the %d training examples", n, len(datamodule.fit_set))

    def training_step(self, batch: dict, batch_idx: int) -> None:
        return None  # no weight update: `decomp fit` picks the demonstrations and validates with them

    def configure_optimizers(self):
        return None

    # --- inference --------------------------------------------------------------------------------------
    def predict_records(self, examples: Sequence[Example]) -> list[dict]:
        self._chains = {}  # the steps answered so far, per example, for explicit strategies
        try:
            return super().predict_records(examples)
        finally:
            self._chains = {}

    def prompts(self, inputs: Sequence[ReaderInput]) -> list[list[int]]:
        if self.demonstrations is None:
            raise ConfigError("the in-context reader has no demonstrations: call set_demonstrations(examples) "
                              "([] for zero-shot) or evaluate through a data module")
        fmt, room = self.fmt, self.max_length - self.max_new_tokens
        out = []
        for item in inputs:
            shown = [d.turns for d in self.demonstrations if not d.shows(item)]
            if len(shown) < len(self.demonstrations):
                log.warning("%s: %d demonstrations left out (the same question or passage)", item.uid,
                            len(self.demonstrations) - len(shown))
            chain = self._chains.get(item.example_id, []) if item.step else []
            render = functools.partial(self._render, shown, chain, item.question)
            out.append(fit_prompt(self.tokenizer, fmt, render, item.context, room))
        return out

    def _render(self, shown: list[list[Turn]], chain: list[Turn], question: str, context: str) -> str:
        fmt = self.fmt
        if chain:  # the first asked step carries the passage; later ones follow it
            first_question = chain[0][0]
            turns = [(fmt.turn(first_question, context), chain[0][1]), *chain[1:],
                     (fmt.turn(question, context, first=False), None)]
        else:
            turns = [(fmt.turn(question, context), None)]
        return fmt.render(self.tokenizer, [*shown, turns])

    def answer(self, inputs: Sequence[ReaderInput]) -> dict[str, tuple[str, ...]]:
        check_unique_uids(inputs)
        answers = super().answer(inputs)
        fmt = self.fmt
        for item in inputs:
            if item.step:
                chain = self._chains.setdefault(item.example_id, [])
                question = item.question if not chain else fmt.turn(item.question, "", first=False)
                chain.append((question, SPAN_SEPARATOR.join(answers[item.uid])))
        return answers
