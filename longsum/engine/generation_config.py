"""The generation settings in force: the checkpoint's ``generation_config`` with the user's overrides, and what
a generated row holds."""

from __future__ import annotations

from typing import Any

from longsum.config import GenerationSettings

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


def recorded_settings(config: Any) -> dict[str, Any]:
    """The settings of ``config`` that change a summary, as recorded with every result."""
    values = config.to_dict()
    return {key: values.get(key) for key in RECORDED_KEYS}


def generated_lengths(
    generated: Any, eos_token_id: int | list[int] | None, pad_token_id: int | None
) -> list[tuple[int, bool]]:
    """Per row of generated ids (decoder start excluded): the tokens up to and including the first end
    token, and whether there is one.

    A finished row is filled after its end token with padding, or in transformers 5's beam search with
    more end tokens; neither is generated text.
    """
    import torch

    eos = [] if eos_token_id is None else eos_token_id if isinstance(eos_token_id, list) else [eos_token_id]
    is_eos = torch.isin(generated, torch.tensor(eos, dtype=generated.dtype, device=generated.device))
    ended = is_eos.any(dim=1)
    if pad_token_id is not None:
        unpadded = (generated != pad_token_id).sum(dim=1)
    else:
        unpadded = torch.full_like(ended, generated.shape[1], dtype=torch.long)
    tokens = torch.where(ended, is_eos.int().argmax(dim=1) + 1, unpadded)
    return [(int(n), bool(e)) for n, e in zip(tokens.tolist(), ended.tolist(), strict=True)]
