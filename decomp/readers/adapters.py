"""Which weights the causal reader trains: LoRA adapters (peft), QLoRA (4-bit base on a GPU), or all.

A LoRA checkpoint keeps only the trainable weights (adapters and the rows of added tokens); the frozen
base weights are read again from the model's hub name or folder when the reader is built.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import torch
from torch import nn
from transformers import PreTrainedModel

from decomp.errors import ConfigError

FINETUNE = ("lora", "qlora", "full")
_KEY = "model.init_args"


def check_finetune(finetune: str) -> None:
    """Refuse an unknown mode, and QLoRA without its GPU and `bitsandbytes`, before any model is loaded."""
    if finetune not in FINETUNE:
        raise ConfigError(f"{_KEY}.finetune: unknown mode {finetune!r}; choose from {', '.join(FINETUNE)}")
    if finetune == "qlora":
        if not torch.cuda.is_available():
            raise ConfigError(f"{_KEY}.finetune: qlora loads the base model in 4 bits with bitsandbytes, which "
                              "needs a CUDA GPU; on this machine use finetune: lora or full")
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ConfigError(f"{_KEY}.finetune: qlora needs the bitsandbytes package "
                              "(pip install bitsandbytes), or use finetune: lora")


def quantization_config():
    """4-bit NF4 weights computing in bf16 (the QLoRA recipe)."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def linear_names(model: nn.Module) -> list[str]:
    """The last name part of every linear layer under the transformer blocks (what LoRA can target)."""
    head = model.get_output_embeddings() if isinstance(model, PreTrainedModel) else None
    names = {name.rpartition(".")[2] for name, module in model.named_modules()
             if isinstance(module, nn.Linear) and module is not head}
    try:
        from bitsandbytes.nn import Linear4bit

        names |= {n.rpartition(".")[2] for n, m in model.named_modules() if isinstance(m, Linear4bit)}
    except ImportError:
        pass
    return sorted(names)


def check_targets(model: nn.Module, targets: str | Sequence[str]) -> list[str] | str:
    """`targets` if every named module exists in `model` ("all-linear" always does)."""
    if isinstance(targets, str):
        if targets != "all-linear":
            raise ConfigError(f"{_KEY}.lora_target_modules: a list of module names or 'all-linear', got {targets!r}")
        return targets
    available = linear_names(model)
    missing = [t for t in targets if t not in available]
    if missing or not targets:
        raise ConfigError(f"{_KEY}.lora_target_modules: {type(model).__name__} has no linear layer named "
                          f"{', '.join(map(repr, missing)) or '(empty list)'}; it has {', '.join(available)}")
    return list(targets)


def add_lora(model: PreTrainedModel, *, rank: int, alpha: float, dropout: float, targets: str | Sequence[str],
             trainable_tokens: Sequence[int] = (), quantized: bool = False, gradient_checkpointing: bool = False):
    """The model with LoRA adapters (only they, and the embedding rows of `trainable_tokens`, train)."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if rank < 1:
        raise ConfigError(f"{_KEY}.lora_rank must be at least 1, got {rank}")
    if not 0 <= dropout < 1:
        raise ConfigError(f"{_KEY}.lora_dropout must be in [0, 1), got {dropout}")
    targets = check_targets(model, targets)
    if quantized:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets,
                        task_type="CAUSAL_LM", trainable_token_indices=list(trainable_tokens) or None)
    return get_peft_model(model, config)


def is_adapted(model: nn.Module) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


def base_model(model: nn.Module) -> PreTrainedModel:
    """The transformers model under any peft wrapper."""
    return model.get_base_model() if is_adapted(model) else model
