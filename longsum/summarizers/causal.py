"""The causal summarizer: a decoder-only LM (Llama, Qwen, Gemma, Mistral, any ``AutoModelForCausalLM``) prompted for
a summary, decoded exactly as its plain recipe decodes each prompt alone.

Documents go through the same length-sorted, token-budgeted batches as seq2seq ones (a batch is a unit of work,
progress and durable records); inside a batch each prompt is decoded alone, unpadded (``engine/causal_decoding``
says why no batched decoding is exact here). The prompt is the named benchmark's published one where there is one
(``sources/presets.py``), put through the tokenizer's chat template when it has one; only the document is cut to fit
the input limit (``engine/prompting``). Every end id of the generation config ends a summary, a stop string ends it
where it first appears, and a reasoning trace is taken off the prediction (the raw text is kept beside it).
"""

from __future__ import annotations

from typing import Any

from longsum.config import EvalConfig
from longsum.engine.batching import Batch
from longsum.engine.causal_decoding import (
    causal_generation_config,
    context_limit,
    decode_output,
    end_ids,
    generate_alone,
)
from longsum.engine.generation_config import recorded_settings
from longsum.engine.loading import CAUSAL, LoadedModel
from longsum.engine.prompting import Prompt, PromptBuilder, chat_template_of, short_sha256, uses_chat_template
from longsum.engine.timing import ModuleClock
from longsum.sources.presets import prompt_for
from longsum.summarizers.protocol import Output, PromptInfo, SummarizerInfo


def is_prefill(kwargs: dict[str, Any]) -> bool:
    """Whether a forward call with these arguments is a prompt's prefill: more than one position at once."""
    ids = kwargs.get("input_ids")
    if ids is None:
        ids = kwargs.get("inputs_embeds")
    return ids is not None and ids.shape[1] > 1


class CausalSummarizer:
    """A decoder-only LM prompted for summaries, each prompt decoded alone as the recipe does."""

    def __init__(
        self,
        loaded: LoadedModel,
        builder: PromptBuilder,
        generation_config: Any,
        max_input_tokens: int,
        prompt: PromptInfo,
        warnings: list[str] | None = None,
    ) -> None:
        self.loaded = loaded
        self.builder = builder
        self.generation_config = generation_config
        self.max_input_tokens = max_input_tokens
        self.prompt = prompt
        self.warnings: list[str] = list(warnings or [])
        # Each prompt is decoded alone, so no batch size rounds differently from another.
        self.batch_multiple = 1
        self.same_length_batches = False
        # The prefill is the forward over more than one position; the steps after it feed one token each.
        self.prefill_clock = ModuleClock(loaded.model, loaded.device, counts=is_prefill)

    def encode(self, text: str) -> tuple[list[int], int]:
        """The prompt ids for the document ``text`` (the document cut to fit), and the prompt's untruncated length."""
        return self.builder.build(text)

    def describe(self) -> SummarizerInfo:
        """Model, revision, dtype, device, the generation settings with the end ids, and the prompt."""
        config = self.generation_config
        return SummarizerInfo(
            model=self.loaded.model_id,
            revision=self.loaded.revision,
            dtype=self.loaded.dtype,
            device=self.loaded.device,
            generation={**recorded_settings(config), "eos_token_id": end_ids(config)},
            family=self.loaded.model.config.model_type,
            max_input_tokens=self.max_input_tokens,
            kind=CAUSAL,
            prompt=self.prompt,
        )

    def encoding_seconds(self) -> float:
        """Seconds in the prompts' prefill so far (the decoder-only counterpart of encoding)."""
        return self.prefill_clock.seconds

    def batch_tokens_hint(self) -> None:
        """``None``: prompts are decoded one at a time, so memory does not bound a batch."""
        return None

    def generate(self, batch: Batch) -> list[Output]:
        """One summary per prompt of ``batch``, each decoded alone (``pad_to`` changes nothing here)."""
        model, tokenizer, config = self.loaded.model, self.loaded.tokenizer, self.generation_config
        outputs = []
        for item in batch.items:
            decoded = decode_output(
                generate_alone(model, item.input_ids, config, tokenizer), tokenizer, config, self.prompt.stop
            )
            raw = decoded.raw if decoded.raw != decoded.prediction else None
            outputs.append(Output(text=decoded.prediction, tokens=decoded.tokens, ended=decoded.ended, raw=raw))
        return outputs


def load_causal(loaded: LoadedModel, config: EvalConfig) -> CausalSummarizer:
    """A causal summarizer for ``loaded`` with ``config``'s prompt, generation and input-limit settings.

    The prompt and ``max_new_tokens`` default to the named benchmark's (``config.data.dataset``), else to a plain
    summarization prompt and 512 new tokens. ``config.generation.max_length`` is not used (for a causal LM it would
    count the prompt). ``config.generation.num_beams`` applies as given: ``None`` keeps the checkpoint's (greedy for
    most chat models), while ``GenerationSettings``' own default, 2, is the LongT5 recipe's.

    Raises:
        LongsumError: the prompt does not fit the input limit, or the chat template is required but missing or
            refuses the prompt.
    """
    settings, tokenizer = config.prompting, loaded.tokenizer
    preset = prompt_for(config.data.dataset)
    template = settings.prompt or preset.template
    new_tokens = config.generation.max_new_tokens or preset.max_new_tokens
    limit = context_limit(loaded.model.config, config.batching.max_input_tokens)
    chat = uses_chat_template(tokenizer, settings.chat_template, loaded.model_id)
    builder = PromptBuilder(
        tokenizer, Prompt(template, settings.system_prompt, chat, settings.truncation), limit, new_tokens
    )
    generation_config = causal_generation_config(
        loaded.model.generation_config, config.generation, new_tokens, settings.stop
    )
    chat_template = chat_template_of(tokenizer) if chat else None
    prompt = PromptInfo(
        template=template,
        source="prompt" if settings.prompt else preset.source,
        system_prompt=settings.system_prompt,
        chat_template=short_sha256(chat_template) if chat_template is not None else None,
        truncation=settings.truncation,
        stop=tuple(settings.stop),
    )
    warnings = []
    if settings.chat_template == "auto" and not chat:
        warnings.append(
            f"the tokenizer of {loaded.model_id!r} has no chat template: prompts went in as plain text, which lowers "
            "an instruction-tuned model's scores (pass --chat-template off to say that is meant)"
        )
    if not end_ids(generation_config):
        warnings.append("the generation config names no end token: every summary ran to max_new_tokens")
    return CausalSummarizer(loaded, builder, generation_config, limit, prompt, warnings)
