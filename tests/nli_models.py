"""Tiny NLI and encoder checkpoints the tests build offline: a BERT word-piece tokenizer over a small vocabulary, and
classifiers whose verdict is fixed (a huge bias on one label) or that read their input (a large init scale)."""

from __future__ import annotations

import re
from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CORPUS = Path(__file__).resolve().parent.parent / "examples" / "pubmed-style.jsonl"


def _vocabulary(size: int = 2000) -> list[str]:
    """Specials, characters and continuation pieces (so no word is unknown), then the examples' commonest words."""
    text = CORPUS.read_text(encoding="utf-8").lower()
    characters = sorted({c for c in text if not c.isspace()})
    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z]+", text):
        counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    pieces = [*SPECIALS, *characters, *(f"##{c}" for c in characters)]
    return pieces + [w for w in words if w not in pieces][: max(0, size - len(pieces))]


def save_tokenizer(path: Path) -> None:
    """A lower-casing BERT word-piece tokenizer at ``path``."""
    from transformers import BertTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(_vocabulary()) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True, model_max_length=128).save_pretrained(
        path
    )


def _config(labels: list[str] | None, init: float, max_positions: int):  # type: ignore[no-untyped-def]
    from transformers import BertConfig

    extra = {"id2label": dict(enumerate(labels)), "label2id": {n: i for i, n in enumerate(labels)}} if labels else {}
    return BertConfig(
        vocab_size=len(_vocabulary()),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
        initializer_range=init,
        **extra,
    )


def build_nli(
    path: Path,
    labels: list[str],
    verdict: str | None = None,
    init: float = 0.5,
    max_positions: int = 128,
    seed: int = 0,
) -> Path:
    """A tiny BERT sequence classifier with ``labels``; with ``verdict``, its logits are that label's, always.

    Without a verdict, weights at a large init scale make its probabilities depend on the pair.
    """
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    model = BertForSequenceClassification(_config(labels, init, max_positions))
    if verdict is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.zero_()
            model.classifier.bias[labels.index(verdict)] = 50.0
    model.save_pretrained(path)
    save_tokenizer(path)
    return path


def build_encoder(path: Path, seed: int = 0) -> Path:
    """A tiny BERT encoder (no head) at a large init scale, for BERTScore."""
    import torch
    from transformers import BertModel

    torch.manual_seed(seed)
    BertModel(_config(None, 0.5, 128)).save_pretrained(path)
    save_tokenizer(path)
    return path
