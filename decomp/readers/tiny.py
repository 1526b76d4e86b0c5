"""Tiny random models with realistic tokenizers, built offline from the synthetic corpus.

Each spec is a folder `transformers` loads like a hub checkpoint: a tokenizer trained with `tokenizers`
on synthetic passages in the style of its family, and a randomly initialised 2-layer model.

- `tiny-llama`: byte-level BPE, `<s>` prepended, `</s>` ends answers, no chat template (plain prompts).
- `tiny-qwen2`: byte-level BPE (GPT-2/Qwen style), `<|im_end|>` ends a turn, a ChatML chat template.
- `tiny-bart`: byte-level BPE wrapped as `<s> ... </s>` (BART style).
- `tiny-t5-unigram`: Unigram with `</s>` appended and 100 `<extra_id_k>` sentinels (T5 style).

Folders are cached under `$DECOMP_CACHE_DIR/tiny-models/` (built once, atomically) so that a config may
name a spec (`model: tiny-llama`) and `decomp fit --config` works without the hub.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

VERSION = 1  # bump when a builder changes what it writes
VOCAB_SIZE = 1200
_CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
           "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def corpus(n: int = 400, seed: int = 0) -> Iterator[str]:
    """Synthetic questions, passages and answers: the text the tiny tokenizers are trained on."""
    from decomp.data.synthetic import generate

    for e in generate(n, seed):
        yield e.question
        yield e.passage
        for a in e.answers:
            yield a.text()
        for s in e.decomposition:
            yield s.text
    yield "Passage: Question: Answer: Step: yes no 0 1 2 3 4 5 6 7 8 9 | , . [ ] ( ) #"


def _byte_level_bpe(special: list[str], bos: str | None, eos: str | None):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus(), trainer)
    if bos and eos:  # BART: <s> text </s>
        tok.post_processor = processors.RobertaProcessing((eos, tok.token_to_id(eos)), (bos, tok.token_to_id(bos)),
                                                          add_prefix_space=False, trim_offsets=False)
    elif bos:  # Llama: <s> text
        tok.post_processor = processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
                                                           special_tokens=[(bos, tok.token_to_id(bos))])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def _unigram_t5():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    sentinels = [f"<extra_id_{k}>" for k in range(100)]
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.Replace(r"\s+", " "), normalizers.Strip()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=VOCAB_SIZE, special_tokens=["<pad>", "</s>", "<unk>"],
                                      unk_token="<unk>", show_progress=False)
    tok.train_from_iterator(corpus(), trainer)
    tok.add_special_tokens(sentinels)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", 1)])
    return tok, sentinels


def _fast(tok, **tokens):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tok, **tokens)


# The tiny decoder-only models' sizes (Llama and Qwen2 alike: grouped-query attention, 2 KV heads).
_DECODER_SIZE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                     num_key_value_heads=2, max_position_embeddings=2048)


def _llama(folder: Path) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _fast(_byte_level_bpe(["<unk>", "<s>", "</s>"], bos="<s>", eos=None),
                      unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    config = LlamaConfig(vocab_size=len(tokenizer), **_DECODER_SIZE, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False)
    _save(LlamaForCausalLM(config), tokenizer, folder)


def _qwen2(folder: Path) -> None:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = _fast(_byte_level_bpe(["<|endoftext|>", "<|im_start|>", "<|im_end|>"], bos=None, eos=None),
                      eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = _CHATML
    config = Qwen2Config(vocab_size=len(tokenizer), **_DECODER_SIZE, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
    _save(Qwen2ForCausalLM(config), tokenizer, folder)


def _bart(folder: Path) -> None:
    from transformers import BartConfig, BartForConditionalGeneration

    tokenizer = _fast(_byte_level_bpe(["<s>", "<pad>", "</s>", "<unk>", "<mask>"], bos="<s>", eos="</s>"),
                      bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>", mask_token="<mask>")
    config = BartConfig(vocab_size=len(tokenizer), d_model=32, encoder_layers=2, decoder_layers=2,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, max_position_embeddings=1024, pad_token_id=1, bos_token_id=0,
                        eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2)
    _save(BartForConditionalGeneration(config), tokenizer, folder)


def _t5(folder: Path) -> None:
    from transformers import T5Config, T5ForConditionalGeneration

    tok, sentinels = _unigram_t5()
    tokenizer = _fast(tok, eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
                      additional_special_tokens=sentinels)
    config = T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2,
                      pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    _save(T5ForConditionalGeneration(config), tokenizer, folder)


def _save(model, tokenizer, folder: Path) -> None:
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


BUILDERS: dict[str, Callable[[Path], None]] = {
    "tiny-llama": _llama, "tiny-qwen2": _qwen2, "tiny-bart": _bart, "tiny-t5-unigram": _t5}


def tiny_folder(spec: str, root: str | Path | None = None) -> Path:
    """The folder of a tiny spec, built (seeded, offline) on first use; safe against concurrent builders."""
    if spec not in BUILDERS:
        raise KeyError(f"unknown tiny model {spec!r}; known: {', '.join(BUILDERS)}")
    from decomp.data.cache import default_cache_dir

    folder = Path(root or default_cache_dir() / "tiny-models") / f"{spec}-v{VERSION}"
    if (folder / "config.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    import torch

    tmp = Path(tempfile.mkdtemp(prefix=f".{spec}-", dir=folder.parent))
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            BUILDERS[spec](tmp)
        os.replace(tmp, folder)  # atomic; another process may have won the race, which is fine
    except OSError:
        if not (folder / "config.json").is_file():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
