"""Frozen lower encoder layers (a reader's `frozen_layers=N`) and a cache of their outputs shared across fits.

With N > 0 the embeddings and encoder layers [0, N) of a BERT-style span model take no gradient and run in
eval mode (no dropout), so what they output for a window depends on the window and their weights alone. Each
window's output is computed once, on its own and unpadded (so that it does not depend on which windows share
its batch), rounded to the storage dtype and cached under (a digest of the frozen part, the window's tokens).
Every fit of a curve that starts from the same weights (whatever its subset, strategy or seed) and every
evaluation of the same window then runs only layers [N, L) and the heads. The rounding is applied on every
path, so a fit trains the same weights whether the cache was cold or warm.

Padding positions enter layer N as zeros: in the full model their states depend on the batch's padded
length, which a per-window cache cannot know. No real token attends to them, so real positions get the full
model's outputs (within the storage dtype's rounding); only the start/end loss, whose softmax runs over the
padding too (as transformers' does), sees other logits there.

Where the cache lives is not a reader argument (it changes no result): in memory, least recently used first
out past `DECOMP_FROZEN_CACHE_MB` (default 1024); with `DECOMP_FROZEN_CACHE=disk` also on disk under
`$DECOMP_CACHE_DIR/frozen-layers/<digest>/`, one file per window written atomically, so that a curve's worker
processes and later runs share it; `DECOMP_FROZEN_CACHE=off` computes every window every time.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from transformers.masking_utils import create_bidirectional_mask
from transformers.modeling_outputs import QuestionAnsweringModelOutput

from decomp.errors import ConfigError
from decomp.hashing import json_digest
from decomp.io import write_atomic

STORAGE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
FORMAT = 1  # of a cached window; a change makes every old digest miss
DEFAULT_CACHE_MB = 1024


def encoder_parts(model: nn.Module) -> tuple[nn.Module, nn.ModuleList]:
    """The embeddings and the layer list of a BERT-style span model (`base_model.embeddings`,
    `base_model.encoder.layer`, `qa_outputs`); ConfigError for any other model."""
    base = getattr(model, "base_model", None)
    embeddings = getattr(base, "embeddings", None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if (embeddings is None or not isinstance(layers, nn.ModuleList) or not hasattr(model, "qa_outputs")
            or getattr(model.config, "is_decoder", False)):
        raise ConfigError(f"frozen_layers needs a BERT-style encoder with a span head (embeddings, encoder.layer, "
                          f"qa_outputs); {type(model).__name__} is not one")
    return embeddings, layers


class PrefixCache:
    """Frozen outputs per (digest, window): in memory up to `max_bytes` (LRU), and in `folder` when given."""

    def __init__(self, max_bytes: int, folder: str | Path | None = None) -> None:
        self.max_bytes = max_bytes
        self.folder = Path(folder) if folder is not None else None
        self.rows: OrderedDict[tuple[str, str], torch.Tensor] = OrderedDict()
        self.bytes = 0
        self.stats = {"memory": 0, "disk": 0, "computed": 0}

    def get(self, digest: str, window: str, shape: tuple[int, int], dtype: torch.dtype) -> torch.Tensor | None:
        row = self.rows.get((digest, window))
        if row is not None:
            self.rows.move_to_end((digest, window))
            self.stats["memory"] += 1
            return row
        row = self._read(digest, window, shape, dtype)
        if row is not None:
            self.stats["disk"] += 1
            self._remember((digest, window), row)
        return row

    def put(self, digest: str, window: str, row: torch.Tensor) -> None:
        self.stats["computed"] += 1
        self._remember((digest, window), row)
        if self.folder is not None:
            # No fsync: a cache file cut short by a crash has the wrong size and is computed again.
            write_atomic(self._path(digest, window), row.contiguous().view(torch.uint8).numpy().tobytes(),
                         sync=False)

    def clear(self) -> None:
        """Forget what is in memory (the disk folder stays)."""
        self.rows.clear()
        self.bytes = 0

    def _remember(self, key: tuple[str, str], row: torch.Tensor) -> None:
        size = row.numel() * row.element_size()
        if size > self.max_bytes:
            return
        self.rows[key] = row
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, old = self.rows.popitem(last=False)
            self.bytes -= old.numel() * old.element_size()

    def _path(self, digest: str, window: str) -> Path:
        return self.folder / digest / f"{window}.bin"

    def _read(self, digest: str, window: str, shape: tuple[int, int], dtype: torch.dtype) -> torch.Tensor | None:
        if self.folder is None:
            return None
        try:
            data = self._path(digest, window).read_bytes()
        except FileNotFoundError:
            return None
        if len(data) != shape[0] * shape[1] * dtype.itemsize:
            return None
        return torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype).view(shape)


_SHARED: PrefixCache | None = None


def shared_cache() -> PrefixCache:
    """The process's cache, set up from the environment on first use (see the module's docstring)."""
    global _SHARED
    if _SHARED is None:
        from decomp.data.cache import default_cache_dir

        mode = os.environ.get("DECOMP_FROZEN_CACHE", "memory")
        if mode not in ("memory", "disk", "off"):
            raise ConfigError(f"DECOMP_FROZEN_CACHE must be memory, disk or off, got {mode!r}")
        megabytes = int(os.environ.get("DECOMP_FROZEN_CACHE_MB", DEFAULT_CACHE_MB))
        folder = default_cache_dir() / "frozen-layers" if mode == "disk" else None
        _SHARED = PrefixCache(0 if mode == "off" else megabytes << 20, folder)
    return _SHARED


def reset_shared_cache() -> None:
    """Drop the process's cache; the next use sets it up again from the environment."""
    global _SHARED
    _SHARED = None


def window_rows(input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
                ) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Each window's (ids, mask, type ids) on the CPU, cut after its last attended token."""
    ids, mask, types = (t.detach().cpu().to(torch.int64) for t in (input_ids, attention_mask, token_type_ids))
    rows = []
    for i in range(ids.shape[0]):
        attended = mask[i].nonzero()
        n = int(attended[-1]) + 1 if len(attended) else 1
        rows.append((ids[i, :n], mask[i, :n], types[i, :n]))
    return rows


def window_key(ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> str:
    h = hashlib.sha256()
    for t in (ids, mask, types):
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:32]


def weights_hash(tensors: list[torch.Tensor]) -> str:
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(f"{tuple(t.shape)}{t.dtype};".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


class FrozenLayers:
    """The embeddings and the lowest `n` layers of a BERT-style span model, frozen; their outputs cached per
    window (stored as `storage`: float32, float16 or bfloat16) in `cache` (default: `shared_cache()`)."""

    def __init__(self, n: int, storage: str = "float16", cache: PrefixCache | None = None) -> None:
        if n < 1:
            raise ConfigError(f"frozen_layers must be at least 1 to freeze anything, got {n}")
        if storage not in STORAGE_DTYPES:
            raise ConfigError(f"frozen_cache_dtype must be one of {', '.join(STORAGE_DTYPES)}, got {storage!r}")
        self.n, self.storage, self._cache = n, storage, cache
        self._weights: tuple[tuple, str] | None = None  # (the frozen tensors' identities and versions, their hash)

    @property
    def cache(self) -> PrefixCache:
        return self._cache if self._cache is not None else shared_cache()

    def modules(self, model: nn.Module) -> list[nn.Module]:
        embeddings, layers = encoder_parts(model)
        if self.n > len(layers):
            raise ConfigError(f"frozen_layers={self.n}: the encoder has only {len(layers)} layers")
        return [embeddings, *layers[:self.n]]

    def freeze(self, model: nn.Module) -> None:
        """No gradient for the frozen part (again after the embeddings are resized: new tokens get a new matrix)."""
        for module in self.modules(model):
            module.requires_grad_(False)

    def digest(self, model: nn.Module) -> str:
        """What a window's frozen output depends on besides the window: the frozen weights (hashed again only
        when a tensor is replaced or changed in place), the storage dtype and how the product is computed."""
        tensors = [t for m in self.modules(model) for t in m.state_dict(keep_vars=True).values()]
        versions = tuple((id(t), t._version, t.data_ptr(), tuple(t.shape), t.dtype, t.device) for t in tensors)
        if self._weights is None or self._weights[0] != versions:
            self._weights = (versions, weights_hash(tensors))
        device = tensors[0].device
        autocast = torch.get_autocast_dtype(device.type) if torch.is_autocast_enabled(device.type) else None
        return json_digest({
            "format": FORMAT, "weights": self._weights[1], "n": self.n, "storage": self.storage,
            "model": type(model).__name__, "attention": getattr(model.config, "_attn_implementation", None),
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else device.type,
            # CPU float sums can depend on the thread count; under autocast the products run in its dtype.
            "threads": torch.get_num_threads() if device.type == "cpu" else None, "autocast": str(autocast),
            "versions": [torch.__version__, _transformers_version()]}, 32)

    def forward(self, model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None, start_positions: torch.Tensor | None = None,
                end_positions: torch.Tensor | None = None, output_hidden_states: bool = False
                ) -> QuestionAnsweringModelOutput:
        """The span model's forward from layer N on (as `BertForQuestionAnswering.forward`); `hidden_states`,
        when asked for, holds the frozen output and each trainable layer's (not the frozen layers')."""
        _, layers = encoder_parts(model)
        hidden = self.lower_states(model, input_ids, attention_mask, token_type_ids)
        mask = create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=attention_mask)
        states = [hidden]
        for layer in layers[self.n:]:
            hidden = layer(hidden, mask)
            states.append(hidden)
        return span_outputs(model, hidden, start_positions, end_positions,
                            tuple(states) if output_hidden_states else None)

    def lower_states(self, model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                     token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Layer N's input for the batch (batch x length x hidden, no gradient): cached rows, zeros at padding."""
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        digest, cache = self.digest(model), self.cache
        hidden_size, dtype = model.config.hidden_size, STORAGE_DTYPES[self.storage]
        param = next(model.parameters())
        # Normal tensors even under evaluation's inference mode: a cached row may later feed a training step.
        with torch.inference_mode(False):
            found = []
            for row in window_rows(input_ids, attention_mask, token_type_ids):
                key = window_key(*row)
                states = cache.get(digest, key, (len(row[0]), hidden_size), dtype)
                if states is None:
                    states = self._compute(model, *row)
                    cache.put(digest, key, states)
                found.append(states)
            hidden = pad_sequence(found, batch_first=True).to(param.device, param.dtype)
            return nn.functional.pad(hidden, (0, 0, 0, input_ids.shape[1] - hidden.shape[1]))

    def _compute(self, model: nn.Module, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        embeddings, *lower = self.modules(model)
        device = next(model.parameters()).device
        with torch.no_grad():
            for module in (embeddings, *lower):
                module.eval()  # a fit's `train()` turns dropout on everywhere; here it must stay off
            hidden = embeddings(input_ids=ids[None].to(device), token_type_ids=types[None].to(device))
            full = create_bidirectional_mask(config=model.config, inputs_embeds=hidden,
                                             attention_mask=mask[None].to(device))
            for layer in lower:
                hidden = layer(hidden, full)
            return hidden[0].to(STORAGE_DTYPES[self.storage]).cpu()


def span_outputs(model: nn.Module, hidden: torch.Tensor, start_positions: torch.Tensor | None,
                 end_positions: torch.Tensor | None, hidden_states: tuple | None) -> QuestionAnsweringModelOutput:
    """`BertForQuestionAnswering`'s head and loss on the last layer's output."""
    start_logits, end_logits = (x.squeeze(-1).contiguous() for x in model.qa_outputs(hidden).split(1, dim=-1))
    loss = None
    if start_positions is not None and end_positions is not None:
        ignored = start_logits.size(1)  # as transformers: a position outside the window is left out of the loss
        entropy = nn.CrossEntropyLoss(ignore_index=ignored)
        loss = (entropy(start_logits, start_positions.reshape(-1).clamp(0, ignored))
                + entropy(end_logits, end_positions.reshape(-1).clamp(0, ignored))) / 2
    return QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                        hidden_states=hidden_states)


def _transformers_version() -> str:
    import transformers

    return transformers.__version__
