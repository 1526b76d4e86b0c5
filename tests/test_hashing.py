"""The one hashing helper keeps every stored value: pinned digests of the formulas the call sites used."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from decomp.hashing import json_digest, seeded_int, seeded_rank

OBJ = {"b": [1, 2.5, "é"], "a": {"z": None, "y": True}, "p": Path("/x")}
OBJ_DIGEST = "80385f4fd9aedc723b2cc00465f64cf6a784ad0aeaa89f0b93c11a660ed26846"


def test_json_digest_is_sorted_ascii_json_cut_short():
    assert json_digest(OBJ) == OBJ_DIGEST
    assert json_digest(OBJ, 16) == OBJ_DIGEST[:16]
    assert json_digest({"a": 1, "b": 2}) == json_digest({"b": 2, "a": 1})
    plain = {"k": [1, "two"]}  # what the strict sites hash: the same text with or without default=str
    assert json_digest(plain, default=None) == json_digest(plain) == \
        hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()
    with pytest.raises(TypeError):
        json_digest(OBJ, default=None)


def test_seeded_rank_and_int():
    assert seeded_rank(3, "ex-1") == "f0623a0563a152fd49f2255f158bcc82328e759986ff50b4d7b1bbbda724f8b8"
    assert seeded_rank("eval:3", "ex-1") == "58b32acd8ddfb15b97f5cd97b5744c280b635f09c4dc0d27b1db5cabcc2fcb24"
    assert seeded_int(3, "ex-1", 8) == 0xF0623A05
    assert seeded_int(3, "ex-1") == int(seeded_rank(3, "ex-1"), 16)
