"""frozen_layers: the frozen part takes no gradient, its cached outputs give the full model's logits, and a fit
trains the same weights whether the cache was cold or warm."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from decomp.errors import ConfigError
from decomp.readers import ExtractiveReader, frozen
from decomp.readers.frozen import FrozenLayers, PrefixCache
from tests.readers.conftest import WholeQuestion


def trainer(**options) -> L.Trainer:
    return L.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False, num_sanity_val_steps=0, **options)


def reader(**options) -> ExtractiveReader:
    module = ExtractiveReader(model="tiny-bert", strategy=None, max_length=64, doc_stride=16, **options)
    module.attach_strategy(WholeQuestion())
    return module


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Each test starts from an empty in-memory cache of its own."""
    monkeypatch.delenv("DECOMP_FROZEN_CACHE", raising=False)
    frozen.reset_shared_cache()
    yield
    frozen.reset_shared_cache()


def windows(vocab: int = 30522) -> dict:
    """Three windows, two of them padded (right padding, as the collator pads)."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, vocab, (3, 20), generator=generator)
    mask = torch.ones(3, 20, dtype=torch.long)
    mask[1, 12:] = 0
    mask[2, 5:] = 0
    types = torch.zeros(3, 20, dtype=torch.long)
    types[:, 8:] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def test_unset_it_leaves_the_hyperparameters_as_they_were():
    plain = dict(reader().hparams)
    assert "frozen_layers" not in plain and "frozen_cache_dtype" not in plain
    assert dict(reader(frozen_layers=0, frozen_cache_dtype="bfloat16").hparams) == plain
    # Set, rows and fit-cache keys (both built from the hyperparameters) record it.
    assert dict(reader(frozen_layers=1).hparams) == {**plain, "frozen_layers": 1, "frozen_cache_dtype": "float16"}


@pytest.mark.parametrize("storage, tolerance", [("float32", 1e-5), ("float16", 2e-2), ("bfloat16", 1e-1)])
def test_cached_outputs_give_the_full_models_logits(storage, tolerance):
    torch.manual_seed(0)
    module = reader(frozen_layers=1, frozen_cache_dtype=storage).eval()
    batch = windows()
    real = batch["attention_mask"].bool()
    with torch.no_grad():
        full = module.model(**batch)
        cold = module(**batch)
        warm = module(**batch)
    assert frozen.shared_cache().stats == {"memory": 3, "disk": 0, "computed": 3}
    for name in ("start_logits", "end_logits"):
        assert torch.equal(getattr(cold, name), getattr(warm, name))  # the rounding happens on both paths
        difference = (getattr(full, name) - getattr(cold, name))[real].abs().max()
        assert difference <= tolerance * getattr(full, name)[real].abs().max(), (name, difference)


def test_a_windows_cached_output_does_not_depend_on_its_batch():
    module = reader(frozen_layers=2, frozen_cache_dtype="float32").eval()
    batch = windows()
    with torch.no_grad():
        together = module.frozen.lower_states(module.model, **batch)
        frozen.shared_cache().clear()
        alone = module.frozen.lower_states(module.model, **{k: v[2:3, :5] for k, v in batch.items()})
    assert torch.equal(together[2, :5], alone[0])
    assert not together[2, 5:].any()  # padding enters the trainable layers as zeros


def test_the_frozen_part_runs_without_dropout_in_training_mode():
    module = reader(frozen_layers=1).train()  # tiny-bert's dropout is 0.1
    batch = windows()
    first = module.frozen.lower_states(module.model, **batch)
    frozen.shared_cache().clear()
    assert torch.equal(first, module.frozen.lower_states(module.model, **batch))


def test_a_fit_changes_the_top_not_the_frozen_part(memory_examples):
    L.seed_everything(0)
    module = reader(frozen_layers=1, lr=1e-2, warmup_ratio=0.0)
    frozen_names = {name for name, p in module.named_parameters() if not p.requires_grad}
    assert frozen_names == {name for name, _ in module.named_parameters()
                            if name.startswith(("model.bert.embeddings.", "model.bert.encoder.layer.0."))}
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    trainer(max_steps=2).fit(module, train_dataloaders=module.training_loader(memory_examples, 8))
    changed = {name for name, p in module.named_parameters() if not torch.equal(p.detach(), before[name])}
    assert not changed & frozen_names
    assert any(name.startswith("model.bert.encoder.layer.1.") for name in changed)
    assert {"model.qa_outputs.weight", "tag_head.weight", "count_head.weight"} <= changed


def test_a_fit_trains_the_same_weights_with_the_cache_cold_or_warm(memory_examples):
    def fit() -> dict[str, torch.Tensor]:
        L.seed_everything(0)
        module = reader(frozen_layers=1, lr=1e-2, warmup_ratio=0.0)
        trainer(max_steps=3).fit(module, train_dataloaders=module.training_loader(memory_examples, 4))
        return module.state_dict()

    cold = fit()
    assert frozen.shared_cache().stats["computed"] > 0
    hits = frozen.shared_cache().stats["memory"]
    warm = fit()
    assert frozen.shared_cache().stats["memory"] > hits
    assert cold.keys() == warm.keys() and all(torch.equal(cold[k], warm[k]) for k in cold)


def test_evaluation_answers_the_same_from_a_warm_cache(memory_examples):
    module = reader(frozen_layers=1)
    inputs = [i for e in memory_examples for i in WholeQuestion().training_inputs(e)]
    cold = module.answer(inputs)
    computed = frozen.shared_cache().stats["computed"]
    assert module.answer(inputs) == cold and frozen.shared_cache().stats["computed"] == computed


def test_new_strategy_tokens_are_frozen_too():
    module = ExtractiveReader(model="tiny-bert", strategy="implicit-operators", max_length=64, doc_stride=16,
                              frozen_layers=1)
    embeddings = module.model.get_input_embeddings()
    assert embeddings.num_embeddings == len(module.tokenizer) > 30522 and not embeddings.weight.requires_grad


def test_the_digest_follows_the_frozen_weights_only():
    module = reader(frozen_layers=1)
    part = module.frozen
    first = part.digest(module.model)
    with torch.no_grad():
        module.model.bert.encoder.layer[1].output.dense.weight.add_(1.0)  # trainable: no effect on layer 1's input
    assert part.digest(module.model) == first
    state = {k: v + 1 for k, v in module.model.bert.encoder.layer[0].state_dict().items()}
    module.model.bert.encoder.layer[0].load_state_dict(state)  # in place: the same tensors, changed
    assert part.digest(module.model) != first
    assert FrozenLayers(2, "float16").digest(module.model) != FrozenLayers(1, "float16").digest(module.model)


def test_the_disk_cache_is_shared_and_checks_what_it_reads(tmp_path):
    row = torch.randn(5, 4).to(torch.bfloat16)
    PrefixCache(1 << 20, tmp_path).put("d", "w", row)
    reread = PrefixCache(1 << 20, tmp_path)
    assert torch.equal(reread.get("d", "w", (5, 4), torch.bfloat16), row) and reread.stats["disk"] == 1
    (tmp_path / "d" / "w.bin").write_bytes(b"\0" * 6)  # cut short by a crash
    assert PrefixCache(1 << 20, tmp_path).get("d", "w", (5, 4), torch.bfloat16) is None


def test_memory_holds_the_most_recently_used_rows_within_its_budget():
    cache = PrefixCache(max_bytes=2 * 16)
    for key in "abc":
        cache.put("d", key, torch.zeros(4))  # 16 bytes each
    assert list(cache.rows) == [("d", "b"), ("d", "c")] and cache.bytes == 32
    assert cache.get("d", "a", (1, 4), torch.float32) is None


def test_the_disk_cache_is_chosen_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DECOMP_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DECOMP_FROZEN_CACHE", "disk")
    frozen.reset_shared_cache()
    module = reader(frozen_layers=1).eval()
    with torch.no_grad():
        module(**windows())
    assert len(list((tmp_path / "frozen-layers").glob("*/*.bin"))) == 3


@pytest.mark.parametrize("options, message", [
    ({"frozen_layers": 3}, "the encoder has only 2 layers"),
    ({"frozen_layers": -1}, "frozen_layers must be 0 or more"),
    ({"frozen_layers": 1, "frozen_cache_dtype": "int8"}, "frozen_cache_dtype must be one of"),
])
def test_impossible_settings_are_config_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        reader(**options)


def test_a_model_without_a_bert_style_encoder_is_refused():
    from decomp.readers import GenerativeReader

    with pytest.raises(ConfigError, match="BERT-style encoder"):
        GenerativeReader(model="tiny-t5", max_length=64, frozen_layers=1)
