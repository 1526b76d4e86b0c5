"""The extractive reader: start/end logits over overlapping context windows, the best span answers."""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedModel

from decomp.errors import ConfigError
from decomp.readers.base import ReaderModule, check_unique_uids, chunks
from decomp.readers.models import load_extractive
from decomp.readers.spans import answers_from_windows
from decomp.readers.types import ReaderInput
from decomp.readers.windows import WindowStats, window_features


class ExtractiveReader(ReaderModule):
    """Span extraction (run_qa.py style); answers only what occurs in the context.

    Args (besides `ReaderModule`'s):
        doc_stride: context tokens shared by consecutive windows (must be < max_length // 2).
        max_answer_length: longest answer span, in tokens.
        n_best: start and end candidates per window.
        negative_window_share: share of training windows without the answer kept (they point at CLS).
    """

    model_keys = ("input_ids", "attention_mask", "token_type_ids", "start_positions", "end_positions")

    def __init__(self, doc_stride: int = 128, max_answer_length: int = 30, n_best: int = 20,
                 negative_window_share: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= doc_stride < self.max_length // 2:
            raise ConfigError(f"doc_stride must be in [0, max_length // 2): got {doc_stride} with "
                              f"max_length {self.max_length}")
        self.doc_stride = doc_stride
        self.max_answer_length = max_answer_length
        self.n_best = n_best
        self.negative_window_share = negative_window_share
        self.window_stats = WindowStats()  # of the last featurize(train=True) call

    def build_model(self, spec: str, attention_dropout: float | None) -> PreTrainedModel:
        return load_extractive(spec, self.tokenizer, attention_dropout)

    def featurize(self, inputs: Sequence[ReaderInput], train: bool) -> list[dict]:
        features, stats = window_features(
            self.tokenizer, inputs, max_length=self.max_length, doc_stride=self.doc_stride, train=train,
            negative_share=self.negative_window_share, seed=self.seed)
        if train:
            self.window_stats = stats
            self.record_unanswerable(stats.unanswerable, len(inputs))
        return features

    def answer(self, inputs: Sequence[ReaderInput]) -> dict[str, str]:
        check_unique_uids(inputs)
        windows = self.featurize(inputs, train=False)
        starts, ends = [None] * len(windows), [None] * len(windows)
        # Shortest first: less padding. Safe because every window carries its uid.
        order = sorted(range(len(windows)), key=lambda k: windows[k]["length"])
        with self.inference():
            for chunk in chunks(order, self.eval_batch_size):
                out = self.model(**self.model_inputs(self.collate([windows[k] for k in chunk])))
                start_logits = out.start_logits.float().cpu().numpy()
                end_logits = out.end_logits.float().cpu().numpy()
                for row, k in enumerate(chunk):
                    n = windows[k]["length"]
                    starts[k], ends[k] = start_logits[row, :n], end_logits[row, :n]
        return answers_from_windows(windows, starts, ends, {i.uid: i.context for i in inputs},
                                    n_best=self.n_best, max_answer_length=self.max_answer_length)
