"""The seq2seq summarizer: beam search on a transformers encoder-decoder model, loaded with its checks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from longsum.config import BatchSettings, GenerationSettings
from longsum.engine.batching import RECIPE_BATCH_SIZE, RECIPE_NUM_BEAMS, Batch
from longsum.engine.families import Family, FastPath, family_for, input_limit
from longsum.engine.generation_config import effective_generation_config, generated_lengths, recorded_settings
from longsum.engine.key_padding import same_length_batches, same_length_warning
from longsum.engine.loading import LoadedModel
from longsum.engine.memory import DecoderShape, batch_tokens_for_memory, free_device_memory
from longsum.engine.seq2seq_decoding import encode_alone_decode_padded, padded
from longsum.engine.timing import ModuleClock
from longsum.engine.tokenizing import encode_bounded
from longsum.engine.verification import row_rounding_warning, verified_fast_paths
from longsum.summarizers.protocol import Output, SummarizerInfo


class Seq2SeqSummarizer:
    """Beam search on a transformers encoder-decoder model.

    For dynamic batches each document is encoded alone, unpadded, and only the encoder outputs
    are padded for batched decoding: no encoder work is spent on padding, and half precision
    cannot meet a fully masked attention row (the -1e10 mask is -inf in fp16, and such a row
    softmaxes to NaN that spreads into real tokens). Batches with ``pad_to`` run the docs
    recipe unchanged. The model's family (``engine/families``) adds what its model card passes
    (LED's global attention mask), sets the input limit and offers fast paths; ``load_seq2seq``
    engages only those that the load-time check found to reproduce stock transformers, and asks for
    batches of one input length where the padded encoder outputs would change a summary
    (``engine/key_padding``).
    """

    def __init__(
        self,
        loaded: LoadedModel,
        family: Family,
        generation_config: Any,
        max_input_tokens: int,
        fast_paths: list[FastPath],
        warnings: list[str] | None = None,
        same_length: bool = False,
    ) -> None:
        self.loaded = loaded
        self.family = family
        self.generation_config = generation_config
        self.max_input_tokens = max_input_tokens
        self.fast_paths = fast_paths
        self.warnings: list[str] = list(warnings or [])
        # Batches of whole recipe batches, so each document's decoder rows round as in the recipe's.
        self.batch_multiple = RECIPE_BATCH_SIZE
        self.same_length_batches = same_length
        self.encoder_clock = ModuleClock(loaded.model.get_encoder(), loaded.device)
        self._checked = False

    def encode(self, text: str) -> tuple[list[int], int]:
        """Token ids truncated to the input limit, and the untruncated length."""
        return encode_bounded(self.loaded.tokenizer, text, self.max_input_tokens)

    def describe(self) -> SummarizerInfo:
        """Model id, revision, dtype, device and the generation settings in force."""
        return SummarizerInfo(
            model=self.loaded.model_id,
            revision=self.loaded.revision,
            dtype=self.loaded.dtype,
            device=self.loaded.device,
            generation=recorded_settings(self.generation_config),
            family=self.family.name,
            max_input_tokens=self.max_input_tokens,
            fast_paths=tuple(path.name for path in self.fast_paths),
            same_length_batches=self.same_length_batches,
        )

    def encoding_seconds(self) -> float:
        """Seconds inside the encoder's forward so far."""
        return self.encoder_clock.seconds

    def batch_tokens_hint(self) -> int | None:
        """Tokens per batch that fit in half the device's free memory (``None`` on the CPU)."""
        free = free_device_memory(self.loaded.device)
        if free is None:
            return None
        model = self.loaded.model
        shape = DecoderShape.of(model.config, model.dtype.itemsize)
        return batch_tokens_for_memory(free, shape, self.generation_config.num_beams or 1)

    def _non_finite(self, states: Any, mask: Any) -> str | None:
        """What is not finite: the encoder outputs, or the first step's logits; ``None`` when all is finite."""
        import torch

        if not torch.isfinite(states).all():
            return "encoder outputs"
        start_id = self.generation_config.decoder_start_token_id or 0
        start = torch.full((states.shape[0], 1), start_id, device=states.device)
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
                input_ids, mask = padded(ids, batch.pad_to, self.loaded.tokenizer.pad_token_id)
                out = model.generate(
                    input_ids=input_ids,
                    attention_mask=mask,
                    generation_config=self.generation_config,
                    **self.family.encoder_inputs(input_ids, mask),
                )
                states = None
            else:
                states, mask, out = encode_alone_decode_padded(
                    model, self.family, ids, self.fast_paths, self.generation_config, self.max_input_tokens
                )
            texts = self.loaded.tokenizer.batch_decode(out, skip_special_tokens=True)
            # Column 0 is the decoder start token, not generated.
            config = self.generation_config
            lengths = generated_lengths(out[:, 1:], config.eos_token_id, config.pad_token_id)
            outputs = [Output(text=t, tokens=n, ended=e) for t, (n, e) in zip(texts, lengths, strict=True)]
            if states is not None:
                self._check_numerics(states, mask, outputs)
        return outputs


def load_seq2seq(loaded: LoadedModel, generation: GenerationSettings, batching: BatchSettings) -> Seq2SeqSummarizer:
    """A seq2seq summarizer for ``loaded``, with the family's fast paths that pass the load-time check engaged, and
    dynamic batches of one input length where padding the encoder outputs would change a summary.

    Raises:
        LongsumError: ``batching.max_input_tokens`` is more than the model's position limit.
    """
    if generation.num_beams is None:
        generation = replace(generation, num_beams=RECIPE_NUM_BEAMS)
    family = family_for(loaded.model.config)
    limit = input_limit(family, loaded.model.config, batching.max_input_tokens)
    config = effective_generation_config(loaded.model.generation_config, generation)
    paths, warnings = verified_fast_paths(loaded, family, limit, config)
    unpadded = family.unpadded_warning(loaded.model, [path.name for path in paths])
    if unpadded is not None and batching.padding == "dynamic":
        warnings.append(unpadded)
    rounding = row_rounding_warning(loaded, config.num_beams or 1)
    if rounding is not None:
        warnings.append(rounding)
    same_length = same_length_batches(loaded, batching)
    if same_length:
        warnings.append(same_length_warning(loaded))
    return Seq2SeqSummarizer(loaded, family, config, limit, paths, warnings, same_length)
