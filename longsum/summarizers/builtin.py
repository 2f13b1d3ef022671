"""The built-in tiny models: the shipped demonstration LongT5, and random ones (LongT5, one per model family)
built offline.

``builtin`` is the demonstration model shipped in ``longsum/assets/demo_model/`` (trained by
``tools/train_demo_model.py``): it copies a document's first sentences and stops. ``builtin:tglobal`` and
``builtin:local`` have random weights and a real SentencePiece tokenizer; their summaries are nonsense, and they
exist so tests and ``bench`` have a fixed model of either attention type on a machine that cannot download one.
``builtin:llama``, ``builtin:qwen2`` and ``builtin:mistral`` are tiny random causal LMs (``causal_builtin``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from longsum.errors import LongsumError
from longsum.summarizers.causal_builtin import CAUSAL_BUILTINS, build_tiny_causal

PREFIX = "builtin:"
#: The trained demonstration model's name; it ships with the package instead of being built.
DEMO = "builtin"
#: Bump when the recipe below changes, so stale caches are rebuilt rather than reused.
RECIPE_VERSION = 1


@dataclass(frozen=True)
class TinySpec:
    """Shape of a tiny random LongT5."""

    attention: str = "transient-global"
    d_model: int = 64
    d_kv: int = 32
    d_ff: int = 128
    num_layers: int = 2
    num_heads: int = 2
    vocab_size: int = 2000
    seed: int = 0
    # Random T5 weights at the default scale emit one token over and over; a larger scale makes
    # the output depend on the input, which the identity tests need to mean anything.
    initializer_factor: float = 10.0


BUILTINS = {
    "builtin:tglobal": TinySpec(),
    "builtin:local": TinySpec(attention="local"),
}


def _family_builtins() -> dict[str, str]:
    """``builtin:`` names of the other families' tiny models, by the family that builds each."""
    from longsum.engine.families import FAMILIES

    return {family.builtin: name for name, family in FAMILIES.items() if family.builtin}


def builtin_names() -> list[str]:
    """Every built-in model name."""
    return [DEMO, *BUILTINS, *_family_builtins(), *CAUSAL_BUILTINS]


def is_builtin(name: str) -> bool:
    """Whether ``name`` is reserved for a built-in model."""
    return name == DEMO or name.startswith(PREFIX)


def demo_checkpoint() -> Path:
    """The shipped demonstration checkpoint's directory."""
    return Path(str(resources.files("longsum.assets") / "demo_model"))


def corpus_path() -> Path:
    """The shipped text the tokenizer is trained on."""
    return Path(str(resources.files("longsum.assets") / "corpus.txt"))


def train_tokenizer(corpus: Path, dest: Path, vocab_size: int) -> None:
    """Train a T5-style SentencePiece unigram model on ``corpus`` and save it as a T5 tokenizer in ``dest``."""
    import sentencepiece as spm
    from transformers import T5Tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "spiece")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=prefix,
            vocab_size=vocab_size,
            model_type="unigram",
            # T5's special ids: <pad>=0 (also the decoder start), </s>=1, <unk>=2, no <s>.
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            character_coverage=1.0,
            hard_vocab_limit=False,
            num_threads=1,
            minloglevel=2,
        )
        T5Tokenizer.from_pretrained(tmp).save_pretrained(dest)


def build_tiny_longt5(dest: Path, spec: TinySpec = TinySpec(), corpus: Path | None = None) -> Path:
    """Write a tiny random-weight LongT5 checkpoint with its tokenizer to ``dest`` via ``save_pretrained``."""
    return save_random_longt5(dest, spec, spec.vocab_size, corpus, encoder_attention_type=spec.attention)


#: The fields of a spec that become LongT5Config fields of the same name.
WIDTH_FIELDS = ("d_model", "d_kv", "d_ff", "num_layers", "num_heads", "initializer_factor")


def save_random_longt5(
    dest: Path,
    spec: Any,
    pieces: int = TinySpec.vocab_size,
    corpus: Path | None = None,
    adjust: Callable[[Any, Any], None] | None = None,
    **config: Any,
) -> Path:
    """Save a seeded random LongT5 of ``spec``'s widths and a tokenizer of ``pieces`` trained on ``corpus`` to ``dest``.

    ``config`` adds LongT5Config fields (the vocabulary defaults to the tokenizer's size);
    ``adjust(model, tokenizer)`` edits the weights before saving.
    """
    from transformers import AutoTokenizer, LongT5Config, LongT5ForConditionalGeneration

    dest.mkdir(parents=True, exist_ok=True)
    train_tokenizer(corpus or corpus_path(), dest, pieces)
    tokenizer = AutoTokenizer.from_pretrained(dest)
    model_config = LongT5Config(
        **{"vocab_size": len(tokenizer), **config},
        **{name: getattr(spec, name) for name in WIDTH_FIELDS},
        num_decoder_layers=spec.num_layers,
        local_radius=127,
        global_block_size=16,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    # T5's decoder starts from <pad>; set as an attribute because the typed constructor does not list it.
    model_config.decoder_start_token_id = tokenizer.pad_token_id
    return _save_seeded(lambda: LongT5ForConditionalGeneration(model_config), tokenizer, spec.seed, dest, adjust)


def _save_seeded(
    build: Callable[[], Any], tokenizer: Any, seed: int, dest: Path, adjust: Callable[[Any, Any], None] | None = None
) -> Path:
    """Build a random model under ``seed`` (leaving the global RNG alone), give it the tokenizer's special ids,
    and save it."""
    import torch
    from transformers import GenerationConfig

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build()
    if adjust is not None:
        adjust(model, tokenizer)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=tokenizer.pad_token_id,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model.save_pretrained(dest)
    return dest


def build_tiny_family(dest: Path, family: str, seed: int = 0, corpus: Path | None = None) -> Path:
    """Write the tiny random checkpoint of model family ``family`` (see ``engine/families``) with longsum's
    tokenizer."""
    from transformers import AutoTokenizer

    from longsum.engine.families import FAMILIES

    dest.mkdir(parents=True, exist_ok=True)
    train_tokenizer(corpus or corpus_path(), dest, TinySpec().vocab_size)
    tokenizer = AutoTokenizer.from_pretrained(dest)
    return _save_seeded(lambda: FAMILIES[family].build_tiny(tokenizer), tokenizer, seed, dest)


def cache_root() -> Path:
    """Where built-in checkpoints are kept: ``$LONGSUM_CACHE``, else the XDG cache folder."""
    root = os.environ.get("LONGSUM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "longsum"
    )
    return Path(root)


def builtin_checkpoint(name: str) -> Path:
    """The local directory of built-in model ``name``, built on first use and cached.

    Raises:
        LongsumError: ``name`` is not a built-in model.
    """
    if name == DEMO:
        return demo_checkpoint()
    spec = BUILTINS.get(name)
    family = _family_builtins().get(name)
    causal = CAUSAL_BUILTINS.get(name)
    if spec is None and family is None and causal is None:
        raise LongsumError(f"unknown built-in model {name!r}; choose one of {', '.join(builtin_names())}")
    # The corpus digest is in the name: a changed corpus means a different tokenizer, hence a new build.
    corpus_digest = hashlib.sha256(corpus_path().read_bytes()).hexdigest()[:12]
    if causal is not None:
        target = cache_root() / f"tiny-causal-{causal.family}-v{RECIPE_VERSION}-{corpus_digest}"
        return build_once(target, lambda staging: build_tiny_causal(staging, causal, corpus_path()))
    if spec is not None:
        target = cache_root() / f"tiny-{spec.attention}-v{RECIPE_VERSION}-{corpus_digest}"
        return build_once(target, lambda staging: build_tiny_longt5(staging, spec))
    assert family is not None  # one of the two is known, by the check above
    target = cache_root() / f"tiny-{family}-v{RECIPE_VERSION}-{corpus_digest}"
    return build_once(target, lambda staging: build_tiny_family(staging, family))


def build_once(target: Path, build: Callable[[Path], Path]) -> Path:
    """``target``, a checkpoint directory that ``build(staging)`` writes on first use; kept after that."""
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so a concurrent or interrupted build never leaves half a checkpoint.
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        build(staging)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "config.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
