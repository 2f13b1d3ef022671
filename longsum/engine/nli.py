"""NLI classifiers for faithfulness: any ``AutoModelForSequenceClassification`` whose labels are entailment, neutral
and contradiction, loaded onto the run's device, classifying (premise, hypothesis) pairs in bounded batches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from longsum.engine.loading import checkpoint_fingerprint, checkpoint_location, resolve_device
from longsum.errors import LongsumError
from longsum.metrics.faithfulness import label_columns

#: Tokens kept free for the summary sentence when a source block is sized (AlignScore keeps ~160 of 512).
SENTENCE_ROOM = 128
#: A model whose tokenizer and config name no limit is taken to hold this many tokens (BERT's and RoBERTa's).
FALLBACK_MAX_TOKENS = 512
#: Padded tokens per forward: bounds the activations whatever the source's length.
BATCH_TOKENS = 16384
MAX_ROWS = 64


@dataclass
class NliModel:
    """A loaded NLI classifier and what its scores depend on.

    Attributes:
        columns: the logit columns of entailment, neutral and contradiction.
        max_tokens: the longest pair (special tokens included) the model takes.
        revision: a local checkpoint's content fingerprint, or the hub commit.
    """

    model: Any
    tokenizer: Any
    device: str
    columns: tuple[int, int, int]
    max_tokens: int
    name: str
    revision: str

    @property
    def label(self) -> str:
        """``name@revision``, as the signature and the side file name the model."""
        return f"{self.name}@{self.revision}"

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without special tokens."""
        # verbose=False: a long source sentence is counted, not fed to the model; no warning is due.
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def block_budget(self) -> int:
        """Tokens a source block may take so that it, a summary sentence and the special tokens fit."""
        specials = self.tokenizer.num_special_tokens_to_add(pair=True)
        return max(16, self.max_tokens - specials - min(SENTENCE_ROOM, self.max_tokens // 4))

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Softmax probabilities of (entailment, neutral, contradiction) for each (premise, hypothesis) pair.

        Pairs longer than the model are cut, the longer text first. Batches are the pairs sorted by length and cut
        at ``BATCH_TOKENS`` padded tokens, so a pair's batch depends only on the pairs passed together.
        """
        import torch

        out = np.zeros((len(pairs), 3))
        if not pairs:
            return out
        encoded = self.tokenizer(
            [p for p, _ in pairs], [h for _, h in pairs], truncation="longest_first", max_length=self.max_tokens
        )
        rows = [{key: encoded[key][i] for key in encoded} for i in range(len(pairs))]
        order = sorted(range(len(pairs)), key=lambda i: (-len(rows[i]["input_ids"]), i))
        start = 0
        while start < len(order):
            width = len(rows[order[start]]["input_ids"])
            size = max(1, min(MAX_ROWS, BATCH_TOKENS // width, len(order) - start))
            chosen = order[start : start + size]
            batch = self.tokenizer.pad([rows[i] for i in chosen], return_tensors="pt").to(self.device)
            with torch.inference_mode():
                logits = self.model(**batch).logits.float()
            out[chosen] = torch.softmax(logits, dim=-1)[:, list(self.columns)].cpu().numpy()
            start += size
        return out


def default_device(requested: str = "auto") -> str:
    """Where the NLI model runs: the ``--device`` asked for (``auto``: CUDA when there is one, else the CPU).

    Raises:
        LongsumError: CUDA is asked for on a machine without it.
    """
    import torch

    return resolve_device(requested, torch.cuda.is_available(), torch.cuda.device_count())


def _max_tokens(tokenizer: Any, config: Any) -> int:
    limits = [FALLBACK_MAX_TOKENS]
    if 0 < getattr(tokenizer, "model_max_length", 0) < 1_000_000:
        limits = [tokenizer.model_max_length]
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0 and getattr(config, "position_embedding_type", None) != "relative":
        # RoBERTa-style models offset their positions past the padding index: two of them are never usable.
        limits.append(positions - 2 if getattr(config, "model_type", "") in ("roberta", "xlm-roberta") else positions)
    return min(limits)


def check_nli(name: str) -> None:
    """Check that ``name`` is an NLI classifier from its config alone, before a summarizer loads.

    Raises:
        LongsumError: it cannot be found, or its labels are not entailment, neutral and contradiction.
    """
    _config(name)


def _config(name: str) -> tuple[Any, str, bool]:
    from transformers import AutoConfig

    from longsum.sources.hub import hub_reachable

    checkpoint = checkpoint_location(name)
    offline = not checkpoint.local and not hub_reachable()
    try:
        config = AutoConfig.from_pretrained(checkpoint.location, local_files_only=offline)
    except (OSError, ValueError) as err:
        where = "is not in the local cache (offline)" if offline else str(err).splitlines()[0]
        raise LongsumError(f"--faithfulness {name}: cannot load it: {where}") from None
    label_columns(config.id2label, name)
    return config, checkpoint.location, offline


def load_nli(name: str, device: str) -> NliModel:
    """The NLI classifier ``name`` (hub id or local directory) in eval mode on ``device``, in float32.

    Raises:
        LongsumError: it cannot be loaded, is not a sequence classifier, or its labels are not NLI labels.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    config, location, offline = _config(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=offline)
        model, info = AutoModelForSequenceClassification.from_pretrained(
            location, config=config, local_files_only=offline, output_loading_info=True
        )
    except (OSError, ValueError) as err:
        raise LongsumError(f"--faithfulness {name}: cannot load it: {str(err).splitlines()[0]}") from None
    if info.get("missing_keys"):
        # A base checkpoint gets a random classifier head: its verdicts would mean nothing.
        raise LongsumError(f"--faithfulness {name}: it has no trained classifier head (not an NLI checkpoint)")
    model.to(device).eval()
    local = Path(location).is_dir()
    revision = checkpoint_fingerprint(Path(location)) if local else getattr(config, "_commit_hash", None) or "main"
    columns = label_columns(config.id2label, name)
    return NliModel(model, tokenizer, device, columns, _max_tokens(tokenizer, config), name, revision)
