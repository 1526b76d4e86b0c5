"""`decomp curve --fit-cache DIR`: a fit trained once is reused by every run that would train it again.

A fit is determined by what it is keyed by here: the reader (class, version, every hyper-parameter, seed and
tokenizer), the strategy's description (name, format version, options: what its training inputs are), the
content of the training and validation examples (decompositions included), the batch size, the budget, the
validation metric, the precision and the versions of torch, transformers and Lightning. Two runs with the same
key train the same weights (training here is deterministic given its seed), so the second loads them. The
case it is made for: the predicted-decomposition DROP curve trains `explicit-hybrid` on the gold
decompositions of the training side, exactly as the gold curve does, and differs only at test time.

Each entry is `<key>.pt` (the trained weights, best validated round restored) beside `<key>.json` (the fit's
budget record, its validation rounds included, and the run that trained it), each written atomically. A row
whose fit was loaded says so in `budget.reused_fit`, with the key and the run that trained it. The folder is
an execution detail, not part of a curve's config: it changes no config hash and no result.
"""

from __future__ import annotations

import io
import json
import pickle
import tempfile
from dataclasses import asdict
from pathlib import Path

import torch

from decomp.data.cache import examples_fingerprint
from decomp.errors import ConfigError, DataError
from decomp.hashing import json_digest
from decomp.io import write_atomic

FORMAT = 1  # of an entry; a change makes every old key miss
PACKAGES = ("torch", "transformers", "lightning")


class FitCache:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.folder):
                pass
        except OSError as exc:
            raise ConfigError(f"--fit-cache {folder}: cannot write there ({exc.strerror or exc})") from None

    @staticmethod
    def key(reader, dm, batch_size: int, budget, metric: str, precision: str, epochs: int | None) -> str:
        """The hash of everything that determines the trained weights."""
        from decomp.data.features import tokenizer_key
        from decomp.provenance import package_versions

        versions = package_versions()
        spec = {"format": FORMAT, "reader": type(reader).__name__, "reader_version": reader.version,
                "hparams": dict(reader.hparams), "seed": getattr(reader, "seed", None),
                **({"init": reader.starting_point()} if getattr(reader, "starting_point", None)
                   and reader.starting_point() else {}),
                "tokenizer": tokenizer_key(reader.tokenizer) if getattr(reader, "tokenizer", None) else None,
                "strategy": reader.strategy.describe(), "fit": examples_fingerprint(dm.fit_set),
                "val": examples_fingerprint(dm.val_set), "batch_size": batch_size, "budget": asdict(budget),
                "metric": metric, "precision": precision, "epochs": epochs,
                "versions": {name: versions.get(name) for name in PACKAGES}}
        return json_digest(spec, 24)

    def load(self, key: str, reader) -> dict | None:
        """Put the cached weights into `reader` and return the fit's budget record; None when not cached."""
        weights, record = self.folder / f"{key}.pt", self.folder / f"{key}.json"
        if not (weights.exists() and record.exists()):
            return None
        try:
            entry = json.loads(record.read_text(encoding="utf-8"))
            reader.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as exc:  # a damaged or foreign entry
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DataError(f"fit cache entry {weights}: cannot be loaded into this reader ({reason}); delete "
                            f"{weights.name} and {record.name} to train the fit again") from None
        return {**entry["budget"], "reused_fit": {"key": key, "trained_by": entry["trained_by"]}}

    def save(self, key: str, reader, budget: dict, trained_by: str) -> None:
        """Weights first, then the record that makes the entry visible: a half-written entry is never read."""
        state = {k: v.detach().cpu() for k, v in reader.state_dict().items()}
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_atomic(self.folder / f"{key}.pt", buffer.getvalue())
        write_atomic(self.folder / f"{key}.json", json.dumps({"budget": budget, "trained_by": trained_by},
                                                             sort_keys=True))
