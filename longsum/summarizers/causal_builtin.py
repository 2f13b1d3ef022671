"""The built-in tiny causal LMs: random Llama 3, Qwen2 and Mistral checkpoints with their families' tokenizer styles
and chat templates, built offline on first use (``builtin:llama``, ``builtin:qwen2``, ``builtin:mistral``).

Their summaries are nonsense; they exist so tests, demonstrations and a later serving engine have a fixed causal
LM of each common shape on a machine that cannot download one. Each mimics what makes its family easy to get
wrong: Llama 3 ends a turn with ``<|eot_id|>`` while its tokenizer's EOS is ``<|end_of_text|>`` (both are in the
generation config), and its BOS comes from the chat template; Qwen2's template adds a default system turn and its
generation config a repetition penalty; Mistral's SentencePiece tokenizer adds its own BOS and its template has no
system role (a system prompt goes before the first user message). All three ship sampling settings that evaluation
turns off. Widths are tiny but the head dimension is 32 (vLLM's CPU attention refuses 16), and the weights are
drawn at a scale large enough that the output depends on the input.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Llama 3's chat template, shortened (no tools, no dates): BOS, then header-delimited turns.
LLAMA3_TEMPLATE = (
    "{{- bos_token }}{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{{- message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)
#: Qwen2's ChatML template, with its default system turn.
CHATML_TEMPLATE = (
    "{%- for message in messages %}{%- if loop.first and message['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
#: Mistral's [INST] template: no system role, so a system message opens the first user message.
MISTRAL_TEMPLATE = (
    "{{- bos_token }}{%- set system = namespace(text='') %}{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}{%- set system.text = message['content'] + '\\n\\n' %}"
    "{%- elif message['role'] == 'user' %}{{- '[INST] ' + system.text + message['content'] + ' [/INST]' }}"
    "{%- set system.text = '' %}{%- else %}{{- message['content'] + eos_token }}{%- endif %}{%- endfor %}"
)


@dataclass(frozen=True)
class CausalSpec:
    """Shape of a tiny random causal LM.

    Attributes:
        family: ``llama``, ``qwen2`` or ``mistral``.
        initializer_range: the weights' standard deviation; at the families' 0.02 a tiny random model says the same
            thing whatever it reads.
    """

    family: str
    hidden_size: int = 64
    intermediate_size: int = 128
    num_layers: int = 2
    num_heads: int = 2
    num_kv_heads: int = 1
    head_dim: int = 32
    context: int = 4096
    vocab_size: int = 2000
    initializer_range: float = 0.5
    seed: int = 0
    #: Rows of the model's embedding and output layer when more than the tokenizer's (a real model's vocabulary,
    #: for benchmark shapes); ``None``: the tokenizer's size.
    model_vocab: int | None = None


CAUSAL_BUILTINS = {
    "builtin:llama": CausalSpec("llama"),
    "builtin:qwen2": CausalSpec("qwen2", num_kv_heads=2),
    "builtin:mistral": CausalSpec("mistral"),
}


def byte_level_tokenizer(corpus: Path, vocab_size: int, specials: list[str], bos: str | None) -> Any:
    """A byte-level BPE tokenizer (Llama 3's and Qwen2's kind) trained on ``corpus``, with ``specials`` first in the
    vocabulary, adding ``bos`` before every text when given."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=alphabet, show_progress=False
    )
    tokenizer.train([str(corpus)], trainer)
    if bos is not None:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", special_tokens=[(bos, tokenizer.token_to_id(bos))]
        )
    return tokenizer


def _llama3_tokenizer(corpus: Path, vocab_size: int) -> Any:
    from transformers import PreTrainedTokenizerFast

    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    backend = byte_level_tokenizer(corpus, vocab_size, specials, "<|begin_of_text|>")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>"
    )
    tokenizer.chat_template = LLAMA3_TEMPLATE
    return tokenizer


def _qwen2_tokenizer(corpus: Path, vocab_size: int) -> Any:
    from transformers import PreTrainedTokenizerFast

    backend = byte_level_tokenizer(corpus, vocab_size, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def _mistral_tokenizer(corpus: Path, vocab_size: int) -> Any:
    """A SentencePiece BPE with byte fallback (Llama 2's and Mistral's kind): <unk>=0, <s>=1, </s>=2, BOS added."""
    import sentencepiece as spm
    from transformers import LlamaTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=os.path.join(tmp, "tokenizer"),
            vocab_size=vocab_size,
            model_type="bpe",
            byte_fallback=True,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            character_coverage=1.0,
            num_threads=1,
            minloglevel=2,
        )
        tokenizer = LlamaTokenizer.from_pretrained(tmp, legacy=False)
    tokenizer.chat_template = MISTRAL_TEMPLATE
    return tokenizer


def _ids(tokenizer: Any, *tokens: str) -> list[int]:
    return [int(tokenizer.convert_tokens_to_ids(token)) for token in tokens]


def _llama(spec: CausalSpec, tokenizer: Any) -> tuple[Any, dict[str, Any]]:
    from transformers import LlamaConfig, LlamaForCausalLM

    bos, end, eot = _ids(tokenizer, "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>")
    config = LlamaConfig(**_widths(spec, len(tokenizer)), bos_token_id=bos, eos_token_id=end)
    generation = {"bos_token_id": bos, "eos_token_id": [end, eot], "do_sample": True, "temperature": 0.6, "top_p": 0.9}
    return LlamaForCausalLM(config), generation


def _qwen2(spec: CausalSpec, tokenizer: Any) -> tuple[Any, dict[str, Any]]:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    end, im_end = _ids(tokenizer, "<|endoftext|>", "<|im_end|>")
    config = Qwen2Config(**_widths(spec, len(tokenizer)), eos_token_id=end, tie_word_embeddings=True)
    generation = {
        "eos_token_id": [im_end, end],
        "pad_token_id": end,
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.8,
        "top_k": 20,
        "repetition_penalty": 1.05,
    }
    return Qwen2ForCausalLM(config), generation


def _mistral(spec: CausalSpec, tokenizer: Any) -> tuple[Any, dict[str, Any]]:
    from transformers import MistralConfig, MistralForCausalLM

    widths = _widths(spec, len(tokenizer))
    config = MistralConfig(**widths, bos_token_id=1, eos_token_id=2, sliding_window=None)
    generation = {"bos_token_id": 1, "eos_token_id": 2, "do_sample": True, "temperature": 0.7}
    return MistralForCausalLM(config), generation


def _widths(spec: CausalSpec, vocab_size: int) -> dict[str, Any]:
    return {
        "vocab_size": max(vocab_size, spec.model_vocab or 0),
        "hidden_size": spec.hidden_size,
        "intermediate_size": spec.intermediate_size,
        "num_hidden_layers": spec.num_layers,
        "num_attention_heads": spec.num_heads,
        "num_key_value_heads": spec.num_kv_heads,
        "head_dim": spec.head_dim,
        "max_position_embeddings": spec.context,
        "initializer_range": spec.initializer_range,
    }


TOKENIZERS: dict[str, Callable[[Path, int], Any]] = {
    "llama": _llama3_tokenizer,
    "qwen2": _qwen2_tokenizer,
    "mistral": _mistral_tokenizer,
}
MODELS: dict[str, Callable[[CausalSpec, Any], tuple[Any, dict[str, Any]]]] = {
    "llama": _llama,
    "qwen2": _qwen2,
    "mistral": _mistral,
}


def build_tiny_causal(
    dest: Path, spec: CausalSpec, corpus: Path, adjust: Callable[[Any, Any], None] | None = None
) -> Path:
    """Write a tiny random causal LM of ``spec`` with its family's tokenizer (trained on ``corpus``) and chat
    template to ``dest`` via ``save_pretrained``; ``adjust(model, tokenizer)`` edits the weights before saving."""
    import torch
    from transformers import GenerationConfig

    dest.mkdir(parents=True, exist_ok=True)
    tokenizer = TOKENIZERS[spec.family](corpus, spec.vocab_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model, generation = MODELS[spec.family](spec, tokenizer)
    if adjust is not None:
        adjust(model, tokenizer)
    model.generation_config = GenerationConfig(**generation)
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    return dest
