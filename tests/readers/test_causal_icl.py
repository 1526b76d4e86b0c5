"""In-context learning with the causal reader: demonstrations from the training subset only, chains of steps."""

from __future__ import annotations

import lightning as L
import pytest
from torch.utils.data import DataLoader

from decomp.data.synthetic import generate
from decomp.errors import ConfigError
from decomp.readers import REGISTRY
from decomp.readers.icl import InContextReader


def reader(strategy: str = "none", model: str = "tiny-llama", **options) -> InContextReader:
    args = {"max_length": 900, "query_tokens": 350, "max_new_tokens": 6, "eval_batch_size": 4, **options}
    return InContextReader(model=model, strategy=strategy, strategy_options={"supervision": "oracle"}
                           if strategy.startswith("explicit") else None, **args)


@pytest.fixture(scope="module")
def split():
    examples = generate(40, 0)
    groups = {e.group for e in examples[30:]}
    train = [e for e in examples[:30] if e.group not in groups]  # no passage on both sides
    return train, examples[30:36]


def prompts_of(module: InContextReader, examples) -> list[str]:
    """Every prompt the model is given while the strategy answers `examples`."""
    seen: list[str] = []
    generate_ = module.generate

    def spy(prompts):
        seen.extend(module.tokenizer.decode(p) for p in prompts)
        return generate_(prompts)
    module.generate = spy
    module.predict_records(examples)
    return seen


def test_registered_with_the_in_context_contract():
    assert REGISTRY["causal-icl"] is InContextReader and InContextReader.in_context
    assert not REGISTRY["causal"].in_context


@pytest.mark.parametrize("strategy", ["none", pytest.param("explicit", marks=pytest.mark.slow)])
def test_prompts_show_training_demonstrations_and_never_an_evaluation_question(strategy, split):
    train, evaluation = split
    length = 1500 if strategy == "explicit" else 900  # chains of sub-questions take more room
    module = reader(strategy, model="tiny-qwen2" if strategy == "explicit" else "tiny-llama", max_length=length)
    assert not any(p.requires_grad for p in module.parameters())
    shown = module.set_demonstrations(train)
    assert 0 < shown < len(train)  # as many as fit the budget, in the subset's order
    assert [d.example_id for d in module.demonstrations] == [e.id for e in train[:shown]]
    prompts = prompts_of(module, evaluation)
    assert len(prompts) >= len(evaluation)
    for prompt in prompts:
        assert all(e.passage in prompt for e in train[:shown])
        assert len({e.passage for e in evaluation if e.passage in prompt}) == 1  # the asked question's only
        assert sum(e.question in prompt for e in evaluation) <= 1
        assert len(module.tokenizer(prompt, add_special_tokens=False)["input_ids"]) <= length
    if strategy == "explicit":  # demonstrations are chains; a later step follows the steps answered before
        assert any(len(d.turns) > 1 for d in module.demonstrations)
        chained = [p for p in prompts if p.count("Step question:") > sum(len(d.turns) for d in module.demonstrations)]
        assert chained


def test_zero_shot_and_demonstrations_never_leak_the_asked_question(split):
    train, evaluation = split
    module = reader()
    assert module.set_demonstrations([]) == 0
    (prompt,) = prompts_of(module, evaluation[:1])
    assert prompt.count("Passage:") == 1
    module.set_demonstrations([evaluation[0], *train])  # a misconfigured subset holding the asked question
    (prompt,) = prompts_of(module, evaluation[:1])
    assert prompt.count(evaluation[0].passage) == 1


def test_more_demonstrations_than_fit_is_an_error_naming_the_key(split):
    train, _ = split
    with pytest.raises(ConfigError, match="n_demonstrations"):
        reader(n_demonstrations=len(train)).set_demonstrations(train)
    assert reader(n_demonstrations=1).set_demonstrations(train) == 1
    with pytest.raises(ConfigError, match="query_tokens"):
        reader(query_tokens=2000)


@pytest.mark.slow
def test_it_evaluates_through_lightning_and_fit_updates_no_weight(split):
    train, evaluation = split
    module = reader()
    module.set_demonstrations(train[:2])
    before = {k: v.clone() for k, v in module.state_dict().items()}
    run = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                    enable_checkpointing=False, max_steps=2, num_sanity_val_steps=0)
    run.fit(module, module.training_loader(train[:4], 2), DataLoader(evaluation[:2], batch_size=2, collate_fn=list))
    assert "val_f1" in run.callback_metrics
    assert all(v.equal(before[k]) for k, v in module.state_dict().items())
    scores = run.test(module, DataLoader(evaluation[:2], batch_size=2, collate_fn=list), verbose=False)[0]
    assert 0 <= scores["test_f1"] <= 100 and len(module.predictions["test"]) == 2
