"""Load-time checks on the loaded model: each fast path against stock transformers, and the decoder's row rounding.

Both run once, when a summarizer is loaded, on small random inputs, so that a transformers upgrade or another
BLAS can make longsum slower or warn, never silently change a summary.
"""

from __future__ import annotations

from typing import Any

from longsum.config import GenerationSettings
from longsum.engine.batching import RECIPE_BATCH_SIZE
from longsum.engine.families import Family, FastPath
from longsum.engine.generation_config import effective_generation_config
from longsum.engine.loading import LoadedModel
from longsum.engine.row_rounding import decoder_linears, rows_round_alike
from longsum.engine.seq2seq_decoding import encode_alone_decode_padded

#: Lengths of the random inputs a fast path is checked on before it is engaged: several attention blocks long.
CHECK_LENGTHS = (1100, 700)


def identical(a: Any, b: Any) -> bool:
    """``torch.equal``, with NaN equal to NaN: half precision on random input may overflow in both paths alike."""
    import torch

    if not a.is_floating_point():
        return torch.equal(a, b)
    return a.shape == b.shape and bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


def verified_fast_paths(
    loaded: LoadedModel, family: Family, max_input_tokens: int, generation_config: Any
) -> tuple[list[FastPath], list[str]]:
    """The family's fast paths for this model that give the stock outputs on a small random input, and a
    warning for each one left off.

    Each path is engaged alone and compared with stock transformers, encoder outputs and beam-search tokens with
    ``torch.equal``, every step's scores too (but for beam-shared cross-attention), and a path with a check of its
    own (``FastPath.check``) must pass it as well.
    """
    import torch

    model = loaded.model
    candidates = [path for path in family.fast_paths() if path.engages(model)]
    if not candidates:
        return [], []
    generator = torch.Generator().manual_seed(0)
    special = set(loaded.tokenizer.all_special_ids)
    words = torch.tensor([i for i in range(model.config.vocab_size) if i not in special])
    rows = [
        words[torch.randint(len(words), (min(length, max_input_tokens),), generator=generator)].to(loaded.device)
        for length in CHECK_LENGTHS
    ]
    config = effective_generation_config(
        generation_config, GenerationSettings(max_length=None, max_new_tokens=4, num_beams=2)
    )
    # Four tokens are all the check needs; a checkpoint's minimum length above them only makes generate() warn.
    config.min_length, config.min_new_tokens = 0, None
    # Every step's scores show a change where no token does; the BART-style beam-shared cross-attention rounds
    # them otherwise by design (one product over the beams' queries), so only its tokens are compared.
    config.output_scores, config.return_dict_in_generate = True, True

    def outputs(path: FastPath | None) -> tuple[Any, ...]:
        states, mask, out = encode_alone_decode_padded(model, family, rows, [path] if path else [], config)
        scores = (torch.stack(out.scores),) if path is None or not path.beam_cache else ()
        return states, mask, out.sequences, *scores

    with torch.inference_mode():
        stock = outputs(None)
        agree = [path.check(model) and all(map(identical, stock, outputs(path))) for path in candidates]
    kept = [path for path, same in zip(candidates, agree, strict=True) if same]
    warnings = [
        f"fast path {path.name} disengaged: on {type(model).__name__} it did not reproduce stock transformers"
        for path, same in zip(candidates, agree, strict=True)
        if not same
    ]
    return kept, warnings


def row_rounding_warning(loaded: LoadedModel, beams: int) -> str | None:
    """A warning when this model and device round a decoder row otherwise in several recipe batches' product than
    in one's (there, batching beyond the recipe's can change a summary on a near-tie); ``None`` when they agree."""
    if rows_round_alike(decoder_linears(loaded.model), RECIPE_BATCH_SIZE * beams, range(2, 9)):
        return None
    return (
        f"on {loaded.device} the decoder rounds a row differently in batches of more than "
        f"{RECIPE_BATCH_SIZE} documents: a near-tie may end differently from the docs recipe "
        f"(--batch-size {RECIPE_BATCH_SIZE} decodes as it does)"
    )
