"""The extractive reader: start/end logits over overlapping context windows, plus a B/I/O tagging head.

Multi-span answers as Segal et al. (2020, "A Simple and Effective Model for Answering Multi-span
Questions"): a linear layer over the encoder's last hidden states tags every context token B, I or O,
trained on every occurrence of every gold span beside the usual start/end loss. An answer is the spans
the tags mark where they mark at least two distinct ones and a span-count head (a linear layer over the
first token, trained on whether the gold answer has one span or several, as the answer-type heads of Segal
et al. and MTMSN's span-count head) calls the answer multi-span; else the best start/end span, so
single-span answers come from the start/end head. Why the count head: an under-trained tagger marks
fragments beside the answer ("Siege, Siege of"); on the quick start's synthetic fold, 42 of 120 questions
with a one-span gold got two or more tagged spans and were all wrong. Why tagging rather than an n-best
over the start/end head with a threshold: with tiny training sets there is too little data to calibrate a
threshold, while tagging is supervised on every token of every training window.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel

from decomp.data.features import Featurized
from decomp.errors import ConfigError
from decomp.readers import register_reader
from decomp.readers.base import ReaderModule, check_unique_uids, chunks
from decomp.readers.models import load_extractive
from decomp.readers.numeric import (
    ANSWER_TYPES,
    ARITHMETIC,
    MAX_COUNT,
    MAX_DERIVATIONS,
    NO_DERIVATION,
    NO_SPAN,
    QUESTION_SPAN,
    answer_types,
    render_number,
    signed_sum,
)
from decomp.readers.spans import answers_from_windows, question_span_text
from decomp.readers.windows import IGNORE, WindowStats, keep_negatives, window_features
from decomp.types import ReaderInput

log = logging.getLogger(__name__)
N_TAGS = 3  # O, B, I


@register_reader("extractive")
class ExtractiveReader(ReaderModule):
    """Span extraction (run_qa.py style); answers only what occurs in the context.

    Args (besides `ReaderModule`'s):
        doc_stride: context tokens shared by consecutive windows (must be < max_length // 2).
        max_answer_length: longest answer span, in tokens.
        n_best: start and end candidates per window.
        negative_window_share: share of training windows without the answer kept (they point at CLS).
        multi_span: train and use the B/I/O tagging head (False: start/end only, one span per answer).
        answer_heads: an answer-type head choosing among a passage span, a count (0-9), a signed sum of the
            passage's numbers and yes/no, trained by marginal likelihood over the derivations of the gold
            answer (`decomp.readers.numeric`); False: spans only, as before.
        question_spans: with answer_heads, one more answer type: a span of the question (NABERT+, MTMSN), for
            "Which happened first, the X or the Y?", from its own start/end head over the question tokens.
            Off, the reader, its hyperparameters and its features are those of a reader without the argument.
    """

    version = 2  # 2: the tagging head trains (v1 left it out of the optimizer), a span-count head decides
    # between one span and the tagged spans, spans are whole words
    model_keys = ("input_ids", "attention_mask", "token_type_ids", "start_positions", "end_positions")
    featurizer_settings = ("max_length", "doc_stride", "answer_heads", "question_spans")

    @classmethod
    def grid_args(cls, max_length: int) -> dict:
        return {**super().grid_args(max_length), "doc_stride": min(128, max_length // 3)}

    def __init__(self, doc_stride: int = 128, max_answer_length: int = 30, n_best: int = 20,
                 negative_window_share: float = 1.0, multi_span: bool = True, answer_heads: bool = False,
                 question_spans: bool = False, **kwargs):
        super().__init__(**kwargs)
        if question_spans and not answer_heads:
            raise ConfigError("question_spans is an answer type of the answer-type head: it needs answer_heads: true")
        if not 0 <= doc_stride < self.max_length // 2:
            raise ConfigError(f"doc_stride must be in [0, max_length // 2): got {doc_stride} with "
                              f"max_length {self.max_length}")
        self.doc_stride = doc_stride
        self.max_answer_length = max_answer_length
        self.n_best = n_best
        self.negative_window_share = negative_window_share
        self.multi_span = multi_span
        self.window_stats = WindowStats()  # negative windows of the last training selection
        # Always built, so that checkpoints have one shape; trained and read only with multi_span.
        self.tag_head = nn.Linear(self.model.config.hidden_size, N_TAGS)
        self.count_head = nn.Linear(self.model.config.hidden_size, 2)  # one span / several
        self.count_head_trained = True  # False for a checkpoint from before the head
        self.answer_heads = answer_heads
        self.question_spans = question_spans
        if answer_heads:
            hidden = self.model.config.hidden_size
            self.type_head = _ffn(hidden, len(answer_types(question_spans)))
            self.number_count_head = _ffn(hidden, MAX_COUNT + 1)
            self.yesno_head = _ffn(hidden, 2)
            self.sign_head = _ffn(2 * hidden, 3)  # per number: [its token; CLS] -> zero, plus, minus
        if question_spans:  # its own start/end scores (as NABERT+), so passage spans score as without it
            self.question_span_head = _ffn(hidden, 2)
        self.load_adapted_heads()

    @classmethod
    def options_off(cls, hparams: Mapping) -> list[str]:
        return [*super().options_off(hparams), *([] if hparams.get("question_spans") else ["question_spans"])]

    def build_model(self, spec: str, attention_dropout: float | None) -> PreTrainedModel:
        return load_extractive(spec, self.tokenizer, attention_dropout)

    @classmethod
    def featurizer(cls, tokenizer, settings: Mapping) -> Callable[[Sequence[ReaderInput], bool], Featurized]:
        """Windows of (question, context); training windows all kept (`select_training` samples negatives)."""
        return functools.partial(_windows, tokenizer, max_length=settings["max_length"],
                                 doc_stride=settings["doc_stride"], answer_heads=settings.get("answer_heads", False),
                                 question_spans=settings.get("question_spans", False))

    def select_training(self, features: list[dict]) -> list[dict]:
        self.window_stats = WindowStats()
        return keep_negatives(features, self.negative_window_share, self.seed, self.window_stats)

    @property
    def pad_values(self) -> dict[str, int]:
        return {**super().pad_values, "bio_labels": IGNORE, "number_positions": 0, "number_mask": 0,
                "type_mask": 0, "arith_derivations": NO_DERIVATION, "question_mask": 0, "question_starts": NO_SPAN,
                "question_ends": NO_SPAN}

    def loss(self, batch: dict) -> torch.Tensor:
        """Start/end loss, plus the tagging loss over the windows' context tokens (Segal et al.'s sum) and
        the span-count loss on each window's first token."""
        tagging = self.multi_span and "bio_labels" in batch
        heads = self.answer_heads and "type_mask" in batch
        inputs = self.model_inputs(batch)
        if heads:  # the span type's likelihood enters the marginal below, not as the model's own loss
            inputs = {k: v for k, v in inputs.items() if k not in ("start_positions", "end_positions")}
        out = self(**inputs, output_hidden_states=tagging or heads)
        if not (tagging or heads):
            return out.loss
        hidden = out.hidden_states[-1]
        loss = self._answer_type_loss(batch, out, hidden) if heads else out.loss
        if not tagging:
            return loss
        if "multi_span_label" in batch:
            counts = self.count_head(hidden[:, 0]).float()
            loss = loss + F.cross_entropy(counts, batch["multi_span_label"].to(self.device))
        labels = batch["bio_labels"].to(self.device)
        if not (labels != IGNORE).any():
            return loss
        tags = self.tag_head(hidden)
        return loss + F.cross_entropy(tags.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE)

    def _answer_type_loss(self, batch: dict, out, hidden: torch.Tensor) -> torch.Tensor:
        """-log of the marginal likelihood of the gold answer over the answer types that can produce it in this
        window (`type_mask`) and, within the arithmetic type, over its sign-vector derivations (within the
        question-span type, over the answer's occurrences in the question)."""
        dev = self.device
        mask = batch["attention_mask"].to(dev).bool()

        def log_probs(logits: torch.Tensor) -> torch.Tensor:
            return logits.float().masked_fill(~mask, -1e4).log_softmax(-1)

        span = (log_probs(out.start_logits).gather(1, batch["start_positions"].to(dev)[:, None])
                + log_probs(out.end_logits).gather(1, batch["end_positions"].to(dev)[:, None])).squeeze(1)
        cls = hidden[:, 0]
        count = self.number_count_head(cls).float().log_softmax(-1).gather(
            1, batch["count_label"].to(dev).clamp(min=0)[:, None]).squeeze(1)
        yesno = self.yesno_head(cls).float().log_softmax(-1).gather(
            1, batch["yesno_label"].to(dev).clamp(min=0)[:, None]).squeeze(1)
        signs = self._sign_log_probs(hidden, batch["number_positions"].to(dev))  # B x K x 3
        n_batch, k = signs.shape[:2]
        derivations = batch["arith_derivations"].to(dev).view(n_batch, MAX_DERIVATIONS, k)
        present = derivations[..., 0] != NO_DERIVATION
        chosen = signs[:, None].expand(-1, MAX_DERIVATIONS, -1, -1).gather(
            3, derivations.clamp(min=0)[..., None]).squeeze(3)
        chosen = (chosen * batch["number_mask"].to(dev)[:, None].float()).sum(-1)
        likelihoods = [span, count, _marginal(chosen, present), yesno]
        if self.question_spans:
            likelihoods.append(self._question_span_likelihood(batch, hidden))
        per_type = torch.stack(likelihoods, -1) + self.type_head(cls).float().log_softmax(-1)
        return -_marginal(per_type, batch["type_mask"].to(dev) != 0).mean()

    def _question_span_likelihood(self, batch: dict, hidden: torch.Tensor) -> torch.Tensor:
        """log of the summed probability of the question spans the labels list (NO_SPAN pads)."""
        starts, ends = (batch[key].to(self.device) for key in ("question_starts", "question_ends"))
        start_lp, end_lp = self._question_span_log_probs(hidden, batch["question_mask"].to(self.device))
        pairs = start_lp.gather(1, starts.clamp(min=0)) + end_lp.gather(1, ends.clamp(min=0))
        return _marginal(pairs, starts != NO_SPAN)

    def _question_span_log_probs(self, hidden: torch.Tensor, question_mask: torch.Tensor
                                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end log-probabilities over each window's question tokens (B x T each)."""
        logits = self.question_span_head(hidden).float().masked_fill(question_mask[..., None] == 0, -1e4)
        log_probs = logits.log_softmax(1)
        return log_probs[..., 0], log_probs[..., 1]

    def _sign_log_probs(self, hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        numbers = hidden.gather(1, positions[..., None].expand(-1, -1, hidden.shape[-1]))
        both = torch.cat([numbers, hidden[:, :1].expand_as(numbers)], -1)
        return self.sign_head(both).float().log_softmax(-1)

    def answer(self, inputs: Sequence[ReaderInput]) -> dict[str, tuple[str, ...]]:
        check_unique_uids(inputs)
        windows = self.featurize(inputs, train=False)
        starts, ends, tags = [None] * len(windows), [None] * len(windows), [None] * len(windows)
        several = [0.0] * len(windows)
        typed: list[dict | None] = [None] * len(windows)  # answer-type heads' outputs per window
        # Shortest first: less padding. Safe because every window carries its uid.
        order = sorted(range(len(windows)), key=lambda k: windows[k]["length"])
        with self.inference():
            for chunk in chunks(order, self.eval_batch_size):
                batch = self.collate([windows[k] for k in chunk])
                out = self(**self.model_inputs(batch), output_hidden_states=self.multi_span or self.answer_heads)
                start_logits = out.start_logits.float().cpu().numpy()
                end_logits = out.end_logits.float().cpu().numpy()
                tag_logits = multi = None
                if self.answer_heads:
                    typed_chunk = self._typed_outputs(out.hidden_states[-1], batch,
                                                      batch_positions(windows, chunk, self.device))
                    for row, k in enumerate(chunk):
                        typed[k] = {name: value[row] for name, value in typed_chunk.items()}
                if self.multi_span:
                    hidden = out.hidden_states[-1]
                    tag_logits = self.tag_head(hidden).float().cpu().numpy()
                    multi = self.count_head(hidden[:, 0]).float().softmax(-1)[:, 1].cpu().numpy()
                for row, k in enumerate(chunk):
                    n = windows[k]["length"]
                    starts[k], ends[k] = start_logits[row, :n], end_logits[row, :n]
                    if tag_logits is not None:
                        tags[k], several[k] = tag_logits[row, :n], float(multi[row])
        spans = answers_from_windows(windows, starts, ends, {i.uid: i.context for i in inputs},
                                     n_best=self.n_best, max_answer_length=self.max_answer_length,
                                     tag_logits=tags if self.multi_span else None,
                                     multi_probs=several if self.multi_span and self.count_head_trained else None)
        if not self.answer_heads:
            return spans
        if self.question_spans:
            questions = {i.uid: i.question for i in inputs}
            for window, outputs in zip(windows, typed, strict=True):  # each window's best question span, as text
                outputs["question_span"] = question_span_text(
                    outputs.pop("question_start"), outputs.pop("question_end"), window["question_offsets"],
                    questions[window["uid"]], n_best=self.n_best, max_answer_length=self.max_answer_length)
        answers, by = typed_answers(windows, typed, spans)
        self.answered_by.update(by)
        return answers

    def _typed_outputs(self, hidden: torch.Tensor, batch: dict, positions: torch.Tensor) -> dict:
        cls = hidden[:, 0]
        outputs = {"types": self.type_head(cls).float().softmax(-1).cpu().numpy(),
                   "count": self.number_count_head(cls).float().softmax(-1).cpu().numpy(),
                   "yesno": self.yesno_head(cls).float().softmax(-1).cpu().numpy(),
                   "signs": self._sign_log_probs(hidden, positions).argmax(-1).cpu().numpy()}
        if self.question_spans:
            start, end = self._question_span_log_probs(hidden, batch["question_mask"].to(self.device))
            outputs["question_start"], outputs["question_end"] = start.cpu().numpy(), end.cpu().numpy()
        return outputs

    def fit_adapted_heads(self, state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
        """A start adapted without question spans has a type head of one class fewer: its classes are this
        head's first ones (question_span comes last), so they load, and the question-span class starts fresh."""
        if not self.question_spans:
            return state
        last = f"type_head.{len(self.type_head) - 1}"
        own = self.state_dict()
        saved = {k: state[k] for k in (f"{last}.weight", f"{last}.bias") if k in state}
        if not saved or all(v.shape == own[k].shape for k, v in saved.items()):
            return state
        if any(v.shape[0] != len(ANSWER_TYPES) or v.shape[1:] != own[k].shape[1:] for k, v in saved.items()):
            return state  # some other shape: load_adapted_heads leaves it fresh and says so
        log.warning("%s's type head has no question_span class: the question_span class starts untrained, the "
                    "other %d classes load", source, len(ANSWER_TYPES))
        widened = {k: torch.cat([v, own[k][len(ANSWER_TYPES):]]) for k, v in saved.items()}
        return {**state, **widened}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        super().on_load_checkpoint(checkpoint)
        # A checkpoint from before the tagging head: load it as a start/end-only reader.
        state = checkpoint.get("state_dict", {})
        if "tag_head.weight" not in state:
            log.warning("the checkpoint has no tagging head: the reader answers one span per question")
            state.update({f"tag_head.{k}": v for k, v in self.tag_head.state_dict().items()})
            self.multi_span = False
        if "count_head.weight" not in state:  # before version 2: two tagged spans make a multi-span answer
            if self.multi_span:
                log.warning("the checkpoint has no span-count head: two tagged spans make a multi-span answer")
            state.update({f"count_head.{k}": v for k, v in self.count_head.state_dict().items()})
            self.count_head_trained = False


def _ffn(n_in: int, n_out: int) -> nn.Module:
    """NAQANet's answer heads: a two-layer feed-forward network."""
    return nn.Sequential(nn.Linear(n_in, n_in), nn.GELU(), nn.Linear(n_in, n_out))


def _marginal(log_likelihoods: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """log of the summed likelihoods over the last dimension, of the entries `present` (maximum marginal
    likelihood: every derivation of the gold answer counts)."""
    return log_likelihoods.masked_fill(~present, -1e4).logsumexp(-1)


def batch_positions(windows: Sequence[dict], chunk: Sequence[int], device: torch.device) -> torch.Tensor:
    return torch.tensor([windows[k]["number_positions"] for k in chunk], device=device)


def typed_answers(windows: Sequence[dict], typed: Sequence[dict], spans: dict[str, tuple[str, ...]]
                  ) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Each uid's answer from the answer type its windows favour (the mean of their type probabilities); a
    computed number comes from the window most sure of the arithmetic type, a question span (`question_span`, each
    window's best; a reader with question spans) from the window most sure of that type. Falls back to the span
    answer when the arithmetic type chose no number or no question span was valid. Also says which type answered
    each uid."""
    by_uid: dict[str, list[int]] = {}
    for k, w in enumerate(windows):
        by_uid.setdefault(w["uid"], []).append(k)
    answers, answered_by = {}, {}
    for uid, ks in by_uid.items():
        types = np.mean([typed[k]["types"] for k in ks], axis=0)
        kind = answer_types(len(types) > len(ANSWER_TYPES))[int(types.argmax())]
        answer = spans.get(uid, ())
        if kind == "count":
            answer = (str(int(np.mean([typed[k]["count"] for k in ks], axis=0).argmax())),)
        elif kind == "yesno":
            answer = ("yes" if np.mean([typed[k]["yesno"] for k in ks], axis=0).argmax() == 1 else "no",)
        elif kind == "arithmetic":
            k = max(ks, key=lambda j: typed[j]["types"][ARITHMETIC])
            values = windows[k]["number_values"]
            value = signed_sum(values, typed[k]["signs"][:len(values)].tolist())
            if value is None:
                kind = "span"
            else:
                answer = (render_number(value),)
        elif kind == "question_span":
            text = typed[max(ks, key=lambda j: typed[j]["types"][QUESTION_SPAN])]["question_span"]
            if text is None:
                kind = "span"
            else:
                answer = (text,)
        answers[uid], answered_by[uid] = answer, kind
    return answers, answered_by


def _windows(tokenizer, inputs: Sequence[ReaderInput], train: bool, *, max_length: int,
             doc_stride: int, answer_heads: bool = False, question_spans: bool = False) -> Featurized:
    features, stats = window_features(tokenizer, inputs, max_length=max_length, doc_stride=doc_stride,
                                      train=train, answer_heads=answer_heads, question_spans=question_spans)
    return Featurized(features, stats.unanswerable)
