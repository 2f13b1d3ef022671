"""Generation: the Summarizer interface and the seq2seq engine behind it."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from longsum.config import BatchSettings, GenerationSettings
from longsum.engine.batching import RECIPE_BATCH_SIZE, Batch, Item, Limits, plan_batches
from longsum.engine.families import FastPath, family_for, input_limit
from longsum.engine.fast_paths import beam_shared_cross_cache, fast_paths
from longsum.engine.row_rounding import decoder_linears, rows_round_alike
from longsum.engine.loading import LoadedModel
from longsum.engine.timing import ModuleClock
from longsum.engine.tokenizing import encode_bounded
from longsum.engine.memory import (
    DecoderShape,
    batch_tokens_for_memory,
    free_device_memory,
    is_out_of_memory,
    release_cached_memory,
)
from longsum.errors import LongsumError

#: Generation settings recorded with every result: the ones that change a summary.
RECORDED_KEYS = (
    "max_length",
    "max_new_tokens",
    "min_length",
    "min_new_tokens",
    "num_beams",
    "length_penalty",
    "no_repeat_ngram_size",
    "repetition_penalty",
    "early_stopping",
    "do_sample",
)
#: Lengths of the random inputs a fast path is checked on before it is engaged: several attention blocks long.
CHECK_LENGTHS = (1100, 700)


@dataclass(frozen=True)
class Output:
    """One generated summary and how many tokens the decoder produced for it."""

    text: str
    tokens: int
    #: Whether the decoder emitted its end token; ``False`` means the length limit cut the summary,
    #: ``None`` that no limit applies (baselines, empty documents).
    ended: bool | None = None


class Summarizer(Protocol):
    """What the pipeline needs from a model; tests and extractive baselines fill the same slot."""

    #: Problems noticed while generating (e.g. non-finite activations), reported with the results.
    warnings: list[str]
    #: Dynamic batches hold a multiple of this many documents wherever they can (``Limits.multiple``).
    batch_multiple: int

    def encode(self, text: str) -> tuple[list[int], int]:
        """The input ids the model will see (truncated) and the document's full length in tokens."""
        ...

    def generate(self, batch: Batch) -> list[Output]:
        """One summary per item of ``batch``, in the batch's order."""
        ...

    def describe(self) -> dict[str, Any]:
        """What identifies this summarizer's outputs: model, revision, dtype, device, generation settings."""
        ...

    def batch_tokens_hint(self) -> int | None:
        """Padded input tokens per batch that fit the device, or ``None`` where memory does not bound it."""
        ...


def effective_generation_config(base: Any, settings: GenerationSettings) -> Any:
    """The checkpoint's ``generation_config`` with the user's overrides, set for deterministic search."""
    config = base.__class__.from_dict(base.to_dict())
    overrides = settings.overrides()
    if "max_new_tokens" in overrides:
        config.max_length = None
    config.update(**overrides)
    # Evaluation decodes deterministically; a checkpoint that ships sampling settings must not change that.
    config.do_sample = False
    # transformers 5 leaves unset fields None and applies library defaults inside generate();
    # resolving them here records the values actually in force.
    defaults: dict[str, Any] = getattr(type(config), "_get_default_generation_params", dict)()
    for key in RECORDED_KEYS:
        if getattr(config, key, None) is None and defaults.get(key) is not None and key != "max_length":
            setattr(config, key, defaults[key])
    return config


def _identical(a: Any, b: Any) -> bool:
    """``torch.equal``, with NaN equal to NaN: half precision on random input may overflow in both paths alike."""
    import torch

    if not a.is_floating_point():
        return torch.equal(a, b)
    return a.shape == b.shape and bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


def generated_lengths(generated: Any, eos_token_id: int | list[int] | None, pad_token_id: int | None) -> list[tuple[int, bool]]:
    """Per row of generated ids (decoder start excluded): the tokens up to and including the first end
    token, and whether there is one.

    A finished row is filled after its end token with padding, or in transformers 5's beam search with
    more end tokens; neither is generated text.
    """
    import torch

    eos = [] if eos_token_id is None else eos_token_id if isinstance(eos_token_id, list) else [eos_token_id]
    is_eos = torch.isin(generated, torch.tensor(eos, dtype=generated.dtype, device=generated.device))
    ended = is_eos.any(dim=1)
    unpadded = (generated != pad_token_id).sum(dim=1) if pad_token_id is not None else torch.full_like(ended, generated.shape[1], dtype=torch.long)
    tokens = torch.where(ended, is_eos.int().argmax(dim=1) + 1, unpadded)
    return [(int(n), bool(e)) for n, e in zip(tokens.tolist(), ended.tolist())]


class Seq2SeqSummarizer:
    """Beam search on a transformers encoder-decoder model.

    For dynamic batches each document is encoded alone, unpadded, and only the encoder outputs
    are padded for batched decoding: no encoder work is spent on padding, and half precision
    cannot meet a fully masked attention row (the -1e10 mask is -inf in fp16, and such a row
    softmaxes to NaN that spreads into real tokens). Batches with ``pad_to`` run the docs
    recipe unchanged. The model's family (``engine/families``) adds what its model card passes
    (LED's global attention mask), sets the input limit and offers fast paths, each checked
    against stock transformers on this model before it is engaged.
    """

    def __init__(self, loaded: LoadedModel, generation: GenerationSettings, batching: BatchSettings) -> None:
        self.loaded = loaded
        self.family = family_for(loaded.model.config)
        self.max_input_tokens = input_limit(self.family, loaded.model.config, batching.max_input_tokens)
        self.generation_config = effective_generation_config(loaded.model.generation_config, generation)
        self.warnings: list[str] = []
        self._checked = False
        self.fast_paths = self._verified_fast_paths()
        # Batches of whole recipe batches, so each document's decoder rows round as in the recipe's.
        self.batch_multiple = RECIPE_BATCH_SIZE
        self._check_row_rounding()
        self.encoder_clock = ModuleClock(loaded.model.get_encoder(), loaded.device)

    def encode(self, text: str) -> tuple[list[int], int]:
        """Token ids truncated to the input limit, and the untruncated length."""
        return encode_bounded(self.loaded.tokenizer, text, self.max_input_tokens)

    def describe(self) -> dict[str, Any]:
        """Model id, revision, dtype, device and the generation settings in force."""
        config = self.generation_config.to_dict()
        return {
            "model": self.loaded.model_id,
            "revision": self.loaded.revision,
            "dtype": self.loaded.dtype,
            "device": self.loaded.device,
            "family": self.family.name,
            "max_input_tokens": self.max_input_tokens,
            "fast_paths": [path.name for path in self.fast_paths],
            "generation": {k: config.get(k) for k in RECORDED_KEYS},
        }

    def _verified_fast_paths(self) -> list[FastPath]:
        """The family's fast paths for this model that give the stock outputs on a small random input.

        Each path is engaged alone and compared with stock transformers, encoder outputs and beam-search
        tokens with ``torch.equal`` (every path longsum has is bit-exact); one that differs is left off
        with a warning, so a transformers upgrade can make longsum slower, never change a summary.
        """
        import torch

        model = self.loaded.model
        candidates = [path for path in self.family.fast_paths() if path.serves(model) and path.targets(model)]
        if not candidates:
            return []
        generator = torch.Generator().manual_seed(0)
        special = set(self.loaded.tokenizer.all_special_ids)
        words = torch.tensor([i for i in range(model.config.vocab_size) if i not in special])
        rows = [
            words[torch.randint(len(words), (min(length, self.max_input_tokens),), generator=generator)].to(self.loaded.device)
            for length in CHECK_LENGTHS
        ]
        config = effective_generation_config(self.generation_config, GenerationSettings(max_length=None, max_new_tokens=4, num_beams=2))
        # Four tokens are all the check needs; a checkpoint's minimum length above them only makes generate() warn.
        config.min_length, config.min_new_tokens = 0, None
        kept = []
        with torch.inference_mode():
            stock = self._decode(rows, [], config)
            agree = [all(map(_identical, stock, self._decode(rows, [path], config))) for path in candidates]
        for path, same in zip(candidates, agree):
            if same:
                kept.append(path)
            else:
                self.warnings.append(
                    f"fast path {path.name} disengaged: on {type(model).__name__} it did not reproduce stock transformers"
                )
        return kept

    def _check_row_rounding(self) -> None:
        """Warn when this model and device round a decoder row otherwise in several recipe batches' product than in one's.

        There, batching beyond the recipe's can change a summary on a near-tie.
        """
        rows = self.batch_multiple * (self.generation_config.num_beams or 1)
        if not rows_round_alike(decoder_linears(self.loaded.model), rows, range(2, 9)):
            self.warnings.append(
                f"on {self.loaded.device} the decoder rounds a row differently in batches of more than "
                f"{RECIPE_BATCH_SIZE} documents: a near-tie may end differently from the docs recipe "
                f"(--batch-size {RECIPE_BATCH_SIZE} decodes as it does)"
            )

    def _decode(self, rows: list[Any], paths: list[FastPath], generation_config: Any) -> tuple[Any, Any, Any]:
        """Encoder outputs (padded), their mask and the beam-search tokens of unpadded ``rows``, each encoded alone, with ``paths`` engaged."""
        from transformers.modeling_outputs import BaseModelOutput

        model = self.loaded.model
        beams = generation_config.num_beams or 1
        shared_cache = {"cache": beam_shared_cross_cache(beams)} if any(p.beam_cache for p in paths) else {}
        with fast_paths(model, paths):
            encoder = model.get_encoder()
            hidden = [
                encoder(input_ids=row[None], **self.family.encoder_inputs(row[None], None)).last_hidden_state[0]
                for row in rows
            ]
            states, mask = self._padded(hidden, max(row.shape[0] for row in rows))
            out = model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=states),
                attention_mask=mask,
                generation_config=generation_config,
                **shared_cache,
            )
        return states, mask, out

    def batch_tokens_hint(self) -> int | None:
        """Tokens per batch that fit in half the device's free memory (``None`` on the CPU)."""
        free = free_device_memory(self.loaded.device)
        if free is None:
            return None
        model = self.loaded.model
        shape = DecoderShape.of(model.config, model.dtype.itemsize)
        return batch_tokens_for_memory(free, shape, self.generation_config.num_beams or 1)

    def _padded(self, rows: list[Any], length: int) -> tuple[Any, Any]:
        """Stack 1-D id tensors or 2-D hidden-state tensors, right-padded to ``length``, with a mask."""
        import torch

        first = rows[0]
        shape = (len(rows), length, *first.shape[1:])
        fill = self.loaded.tokenizer.pad_token_id if first.dim() == 1 else 0
        stacked = torch.full(shape, fill, dtype=first.dtype, device=first.device)
        mask = torch.zeros(len(rows), length, dtype=torch.long, device=first.device)
        for i, row in enumerate(rows):
            stacked[i, : row.shape[0]] = row
            mask[i, : row.shape[0]] = 1
        return stacked, mask

    def _non_finite(self, states: Any, mask: Any) -> str | None:
        """What is not finite: the encoder outputs, or the first step's logits; ``None`` when all is finite."""
        import torch

        if not torch.isfinite(states).all():
            return "encoder outputs"
        start = torch.full((states.shape[0], 1), self.generation_config.decoder_start_token_id or 0, device=states.device)
        logits = self.loaded.model(encoder_outputs=(states,), attention_mask=mask, decoder_input_ids=start).logits
        return None if torch.isfinite(logits).all() else "decoder logits"

    def _check_numerics(self, states: Any, mask: Any, outputs: list[Output]) -> None:
        # Checked on the first batch and on any batch with an empty summary: each check costs a device sync.
        if self._checked and all(o.text.strip() for o in outputs):
            return
        self._checked = True
        culprit = self._non_finite(states, mask)
        if culprit is not None:
            self.warnings.append(
                f"non-finite {culprit} in {self.loaded.dtype}: summaries may be empty or garbage; "
                "try --dtype bf16 or --dtype fp32"
            )

    def generate(self, batch: Batch) -> list[Output]:
        """Beam-search summaries for a batch, in its order."""
        import torch

        model, device = self.loaded.model, self.loaded.device
        ids = [torch.tensor(item.input_ids, device=device) for item in batch.items]
        with torch.inference_mode():
            if batch.pad_to is not None:
                input_ids, mask = self._padded(ids, batch.pad_to)
                out = model.generate(
                    input_ids=input_ids,
                    attention_mask=mask,
                    generation_config=self.generation_config,
                    **self.family.encoder_inputs(input_ids, mask),
                )
                states = None
            else:
                states, mask, out = self._decode(ids, self.fast_paths, self.generation_config)
            texts = self.loaded.tokenizer.batch_decode(out, skip_special_tokens=True)
            # Column 0 is the decoder start token, not generated.
            lengths = generated_lengths(out[:, 1:], self.generation_config.eos_token_id, self.generation_config.pad_token_id)
            outputs = [Output(text=t, tokens=n, ended=e) for t, (n, e) in zip(texts, lengths)]
            if states is not None:
                self._check_numerics(states, mask, outputs)
        return outputs


class GenerationFailed(LongsumError):
    """The model raised on a batch (not out of memory): one line naming the documents, the traceback kept as the cause."""

    def __init__(self, batch: Batch, error: BaseException) -> None:
        ids = [item.doc.id for item in batch.items]
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        first_line = next(iter(str(error).splitlines()), "")
        super().__init__(f"generation failed on {len(ids)} document(s) ({shown}): {type(error).__name__}: {first_line}", 1)


class Progress(Protocol):
    """Receives progress as batches finish (the CLI draws a bar)."""

    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        """``documents`` more are done, having read and generated these many tokens."""
        ...


@dataclass
class RunnerStats:
    """Tokens the runner processed, and how often it backed off from out-of-memory errors."""

    processed_tokens: int = 0
    encoder_tokens: int = 0
    generated_tokens: int = 0
    oom_splits: int = 0
    #: Model time split at the encoder's hooks: the rest of ``generate`` (decoder, search, detokenizing) is decoding.
    encode_seconds: float = 0.0
    decode_seconds: float = 0.0
    #: Per finished batch, each document's (input tokens, generated tokens): what the roofline counts.
    batches: list[list[tuple[int, int]]] = field(default_factory=list)

    @property
    def padding_efficiency(self) -> float:
        """Real input tokens over input tokens the encoder processed."""
        return self.processed_tokens / self.encoder_tokens if self.encoder_tokens else 1.0


class BatchRunner:
    """Runs windows of items through a summarizer, halving batches that run out of device memory."""

    def __init__(
        self,
        summarizer: Summarizer,
        limits: Limits,
        pad_to: int | None,
        progress: Progress | None = None,
        stats: RunnerStats | None = None,
    ) -> None:
        self.summarizer = summarizer
        self.limits = limits
        self.pad_to = pad_to
        self.progress = progress
        self.stats = stats if stats is not None else RunnerStats()
        self.device = str(summarizer.describe().get("device", "cpu"))

    def run_window(self, window: list[Item]) -> Iterator[list[tuple[Item, Output]]]:
        """Each finished batch of ``window`` as (item, output) pairs; every item generated exactly once."""
        empty = [item for item in window if not item.input_ids]
        if empty:
            # Nothing to summarize: an empty document gets an empty summary without a model call.
            yield [(item, Output(text="", tokens=0)) for item in empty]
        pending = deque(plan_batches([item for item in window if item.input_ids], self.limits, self.pad_to))
        while pending:
            batch = pending.popleft()
            clock = getattr(self.summarizer, "encoder_clock", None)
            encoded, started = clock.seconds if clock else 0.0, time.perf_counter()
            try:
                outputs = self.summarizer.generate(batch)
            except Exception as err:
                if not is_out_of_memory(err):
                    raise GenerationFailed(batch, err) from err
                if len(batch.items) == 1:
                    raise LongsumError(
                        f"out of device memory on a single document of {batch.longest} tokens "
                        "(lower --max-input-tokens or --num-beams, or use a larger device)"
                    ) from None
                release_cached_memory(self.device)
                # Lower the limits for the rest of the run and re-plan what is left of this window.
                self.limits = self.limits.below(batch)
                self.stats.oom_splits += 1
                rest = [item for b in pending for item in b.items]
                pending = deque(plan_batches([*batch.items, *rest], self.limits, self.pad_to))
                continue
            encoding = clock.seconds - encoded if clock else 0.0
            self.stats.encode_seconds += encoding
            self.stats.decode_seconds += time.perf_counter() - started - encoding
            self.stats.batches.append([(item.length, o.tokens) for item, o in zip(batch.items, outputs)])
            generated = sum(o.tokens for o in outputs)
            self.stats.processed_tokens += batch.real_tokens
            self.stats.encoder_tokens += batch.encoder_tokens
            self.stats.generated_tokens += generated
            if self.progress is not None:
                self.progress.advance(len(batch.items), batch.real_tokens, generated)
            yield list(zip(batch.items, outputs))
