"""Prompts of the causal reader: a template per strategy, plain text or the tokenizer's chat template.

A prompt is a list of turns (question text, answer or None for the one to generate): demonstrations
and earlier steps of a chain come first, answered. Plain prompts put an answer after its turn on the same
line; chat prompts make each turn a user message and each answer an assistant message.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from decomp.errors import ConfigError

FIELDS = ("question", "context")
INSTRUCTION = ("Answer the question from the passage with the answer only: a number, a date, yes or no, or "
               "words copied from the passage; separate several answers with ' ; '.")
_PASSAGE = "Passage: {context}\n"
TEMPLATES = {
    "none": _PASSAGE + "Question: {question}\nAnswer:",
    "implicit-operators": _PASSAGE + "Question (after its operator tokens): {question}\nAnswer:",
    "implicit-steps": _PASSAGE + "Question (its steps after [steps]): {question}\nAnswer:",
    "explicit": _PASSAGE + "Step question: {question}\nAnswer:",
    "explicit-hybrid": _PASSAGE + "Step question: {question}\nAnswer:",
}
DEFAULT_TEMPLATE = TEMPLATES["none"]
FOLLOW_UP = "Step question: {question}\nAnswer:"  # the later turns of a chain, under the same passage

Turn = tuple[str, str | None]


def check_template(template: str, key: str, required: Sequence[str] = ("question",)) -> str:
    """`template` if it names every required field and only known ones; else an error naming `key`."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"{key}: not a valid template ({exc}): {template!r}") from None
    missing = [f"{{{f}}}" for f in required if f not in names]
    if missing:
        raise ConfigError(f"{key}: the template lacks the placeholder {', '.join(missing)}: {template!r}")
    unknown = sorted(names - set(FIELDS))
    if unknown:
        raise ConfigError(f"{key}: unknown placeholder(s) {unknown}; a template may use "
                          f"{', '.join('{' + f + '}' for f in FIELDS)}")
    return template


@dataclass
class PromptFormat:
    """How turns become the text a causal LM reads.

    Args:
        template: the first turn of a question over a passage ({question}, optionally {context}).
        follow_up: later turns of a chain ({question}).
        instruction: said once before everything ('' for none); a system message in chat mode.
        chat: use the tokenizer's chat template.
    """

    template: str
    follow_up: str = FOLLOW_UP
    instruction: str = INSTRUCTION
    chat: bool = False

    def render(self, tokenizer: PreTrainedTokenizerBase, blocks: Sequence[Sequence[Turn]]) -> str:
        """The prompt text of blocks of turns (a demonstration, or the question asked now), the last turn's
        answer None (the model writes it)."""
        if self.chat:
            messages = [{"role": "system", "content": self.instruction}] if self.instruction else []
            for question, answer in (turn for block in blocks for turn in block):
                messages.append({"role": "user", "content": question})
                if answer is not None:
                    messages.append({"role": "assistant", "content": answer})
            return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        text = f"{self.instruction}\n\n" if self.instruction else ""
        return text + "\n".join("".join(q if a is None else f"{q} {a}\n" for q, a in block) for block in blocks)

    def answer_text(self, answer: str) -> str:
        """What the model is trained to write after the prompt (before the end-of-answer token)."""
        return answer if self.chat else f" {answer}"

    def turn(self, question: str, context: str, first: bool = True) -> str:
        return (self.template if first else self.follow_up).format(question=question, context=context)
