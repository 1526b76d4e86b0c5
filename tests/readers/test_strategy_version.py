"""A reader's checkpoint records its strategy's description, format version included, and loading it under
a strategy that now formats its inputs differently says so."""

from __future__ import annotations

import logging

from decomp.readers import ExtractiveReader


def test_the_checkpoint_records_the_strategy_and_a_changed_format_is_reported(caplog, monkeypatch):
    reader = ExtractiveReader(model="tiny-bert", max_length=64, doc_stride=16, strategy="explicit",
                              strategy_options={"supervision": "oracle"})
    checkpoint = {"state_dict": reader.state_dict()}
    reader.on_save_checkpoint(checkpoint)
    assert checkpoint["strategy"] == {"strategy": "explicit", "format_version": 1, "supervision": "oracle"}
    with caplog.at_level(logging.WARNING, logger="decomp.readers.base"):
        reader.on_load_checkpoint(checkpoint)
        assert "format version" not in caplog.text  # the same version: nothing to say
        monkeypatch.setattr(type(reader.strategy), "format_version", 2)
        reader.on_load_checkpoint(checkpoint)
    assert "trained on explicit format version 1; this strategy formats inputs as version 2" in caplog.text
