"""The copy circuit wired into the demonstration model's initial weights (``train_demo_model.py`` trains from it).

The encoder writes each token's neighbours beside it; the decoder looks up the input position whose token and
predecessor match the last two it wrote and emits that position's next token; its start token looks up the end of
the section heading, so a summary starts after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from train_demo_model import DemoRecipe


#: The residual stream of the wired model: token identity, the next input token, the previous token.
TOKEN, NEXT, PREVIOUS = slice(0, 48), slice(48, 96), slice(96, 128)
#: Bucket ids of T5's relative positions (32 buckets): bidirectional +1 and -1, causal distance 0 and 1.
NEXT_BUCKET, PREVIOUS_BUCKET, SELF_BUCKET = 17, 1, 0


def wire_copy_circuit(model: Any, recipe: DemoRecipe, start_after: int) -> None:
    """Set the weights of a fresh 128-wide LongT5 so that it copies its input from the token after ``start_after``.

    The decoder's start token takes the token embedding of ``start_after`` (the last token of the
    sample's section heading), so the first lookup finds the heading and the summary starts after it.

    Everything outside the circuit keeps a small random value (``recipe.residue`` of its initial scale),
    so training can still use it.
    """
    import torch

    config = model.config
    if config.d_model != 128 or config.d_kv < 80 or config.num_heads < 2:
        raise ValueError("the copy circuit is laid out for d_model 128 and at least 2 heads of 80 dims")
    width = TOKEN.stop - TOKEN.start
    kept = PREVIOUS.stop - PREVIOUS.start
    eye, eye_kept = torch.eye(width), torch.eye(kept)

    def head(index: int, size: int) -> slice:
        return slice(index * config.d_kv, index * config.d_kv + size)

    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("q.weight", "k.weight", "v.weight", "o.weight", "wo.weight")):
                param.mul_(recipe.residue)
            elif name.endswith("layer_norm.weight"):
                param.fill_(1.0)
        # Token embeddings live in TOKEN only, so the neighbour slots start empty.
        model.shared.weight[:, TOKEN.stop :].mul_(recipe.residue)
        start = model.config.decoder_start_token_id
        model.shared.weight[start, TOKEN] = model.shared.weight[start_after, TOKEN]
        sharp = recipe.sharpness
        encoder = model.encoder.block[0].layer[0].TransientGlobalSelfAttention
        encoder.q.weight.zero_()
        encoder.k.weight.zero_()
        # Head 0 reads the next position's token into NEXT; head 1 the previous one's into PREVIOUS.
        encoder.v.weight[head(0, width), TOKEN] = eye
        encoder.o.weight[NEXT, head(0, width)] = eye
        encoder.v.weight[head(1, kept), TOKEN.start : TOKEN.start + kept] = eye_kept
        encoder.o.weight[PREVIOUS, head(1, kept)] = eye_kept
        encoder.relative_attention_bias.weight.zero_()
        encoder.relative_attention_bias.weight[NEXT_BUCKET, 0] = sharp
        encoder.relative_attention_bias.weight[PREVIOUS_BUCKET, 1] = sharp
        encoder.global_relative_attention_bias.weight[:, :2] = -sharp
        decoder = model.decoder.block[0].layer[0].SelfAttention
        decoder.q.weight.zero_()
        decoder.k.weight.zero_()
        # Head 0 reads the previous output token into PREVIOUS; head 1 moves the current one out of
        # TOKEN (which the output logits read) into NEXT, where the lookup's query takes it from.
        decoder.v.weight[head(0, kept), TOKEN.start : TOKEN.start + kept] = eye_kept
        decoder.o.weight[PREVIOUS, head(0, kept)] = eye_kept
        decoder.v.weight[head(1, width), TOKEN] = eye
        decoder.o.weight[TOKEN, head(1, width)] = -((width / config.d_model) ** 0.5) * eye
        decoder.o.weight[NEXT, head(1, width)] = eye
        decoder.relative_attention_bias.weight.zero_()
        decoder.relative_attention_bias.weight[PREVIOUS_BUCKET, 0] = sharp
        decoder.relative_attention_bias.weight[SELF_BUCKET, 1] = sharp
        cross = model.decoder.block[0].layer[1].EncDecAttention
        # The lookup: current token against the input's tokens, previous against their predecessors;
        # the value is the matched position's next token, written where the logits read.
        cross.q.weight[head(0, width)] = 0.0
        cross.k.weight[head(0, width)] = 0.0
        cross.q.weight[head(0, width), NEXT] = 2 * recipe.match * eye
        cross.k.weight[head(0, width), TOKEN] = eye
        lookup = slice(width, width + kept)  # still head 0: its query-key product sums both matches
        cross.q.weight[lookup] = 0.0
        cross.k.weight[lookup] = 0.0
        cross.q.weight[lookup, PREVIOUS] = recipe.match * eye_kept
        cross.k.weight[lookup, PREVIOUS] = eye_kept
        cross.v.weight[head(0, width), NEXT] = eye
        cross.o.weight[TOKEN, head(0, width)] = recipe.gain * eye
        final = model.decoder.final_layer_norm.weight
        final.fill_(recipe.residue)
        final[TOKEN] = recipe.logit_scale
