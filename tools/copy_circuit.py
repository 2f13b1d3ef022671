"""The copy circuit wired into the demonstration model's initial weights (``train_demo_model.py`` trains from it).

The encoder writes beside each token the token before it and the bag (mean) of the ten before that; the
decoder looks up the input position whose preceding token matches the last one it wrote and whose bag matches
the bag of the ten before, and emits the token at that position; its start token looks up the end of the
section heading, so a summary starts after it. A bag of ten tokens rarely matches twice in an article, so
the lookup follows the sentence it copies instead of jumping to another place where the last words recur.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from train_demo_model import DemoRecipe


#: Bucket ids of T5's relative positions (32 buckets). Bidirectional (encoder): bucket n holds distance -n for
#: n < 8, bucket 8 holds distances -8 to -11. Causal (decoder): bucket n holds distance n for n < 16.
ENCODER_PREVIOUS_BUCKET, ENCODER_BAG_BUCKETS = 1, slice(2, 9)
DECODER_SELF_BUCKET, DECODER_BAG_BUCKETS = 0, slice(1, 11)
#: Bucket ids of transient-global attention's relative block positions: blocks before the token's own.
LEFT_BLOCK_BUCKETS = slice(1, 16)


def slots(d_model: int) -> tuple[slice, slice, slice]:
    """The residual stream's three equal slots: token identity, the token before, the bag of the ten before that."""
    width = d_model // 3
    return slice(0, width), slice(width, 2 * width), slice(2 * width, 3 * width)


def wire_copy_circuit(model: Any, recipe: DemoRecipe, heading: list[int]) -> None:
    """Set the weights of a fresh LongT5 so that it copies its input from the token after ``heading``.

    The decoder's start token takes the token embeddings of ``heading`` (the token ids of the sample's
    section heading), so the first lookup finds the heading and the summary starts after it.

    Everything outside the circuit keeps a small random value (``recipe.residue`` of its initial scale),
    so training can still use it.
    """
    import torch

    config = model.config
    token, previous, bag = slots(config.d_model)
    width = token.stop
    if config.d_model != 3 * width or config.d_kv < 2 * width or config.num_heads < 2:
        raise ValueError("the copy circuit needs d_model divisible by 3 and at least 2 heads of 2/3 d_model")
    eye = torch.eye(width)

    def head(index: int, part: int = 0) -> slice:
        start = index * config.d_kv + part * width
        return slice(start, start + width)

    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("q.weight", "k.weight", "v.weight", "o.weight", "wo.weight")):
                param.mul_(recipe.residue)
            elif name.endswith("layer_norm.weight"):
                param.fill_(1.0)
        # Token embeddings live in the token slot only, so the other slots start empty.
        model.shared.weight[:, token.stop :].mul_(recipe.residue)
        # The start token stands for the heading: its last token where the decoder moves its current token,
        # the others summed where the decoder's bag head reads them, so the first lookups find the heading.
        # Its token slot stays empty, so the logits never read it.
        start = config.decoder_start_token_id
        embedding = model.shared.weight
        embedding[start, token] = 0.0
        embedding[start, previous] = recipe.start_scale * embedding[heading[-1], token]
        # The heading's first token is left out: the input's second position has it alone in its bag, and
        # that one-token bag would match the start's better than the bag after the heading does.
        embedding[start, bag] = embedding[heading[1:-1], token].sum(0)
        sharp = recipe.sharpness
        encoder = model.encoder.block[0].layer[0].TransientGlobalSelfAttention
        encoder.q.weight.zero_()
        encoder.k.weight.zero_()
        # Head 0 reads the previous token into its slot; head 1 averages the ten before it into the bag.
        for index, slot in ((0, previous), (1, bag)):
            encoder.v.weight[head(index)] = 0.0
            encoder.v.weight[head(index), token] = eye
            encoder.o.weight[slot, head(index)] = eye
        encoder.relative_attention_bias.weight.zero_()
        encoder.relative_attention_bias.weight[ENCODER_PREVIOUS_BUCKET, 0] = sharp
        encoder.relative_attention_bias.weight[ENCODER_BAG_BUCKETS, 1] = sharp
        encoder.global_relative_attention_bias.weight[:, :2] = -sharp
        # A position prior: head 0 also attends to every block before its own, each weighing
        # exp(-position_prior) as much as the previous token, so the previous token's share (and the
        # lookup's match on it) shrinks with the position and, of equal matches, the earliest wins.
        encoder.global_relative_attention_bias.weight[LEFT_BLOCK_BUCKETS, 0] = sharp - recipe.position_prior
        decoder = model.decoder.block[0].layer[0].SelfAttention
        decoder.q.weight.zero_()
        decoder.k.weight.zero_()
        # Head 0 averages the ten tokens before the current one into the bag; head 1 moves the current token
        # out of the token slot (which the output logits read) into the previous-token slot, which the
        # lookup's query reads: the token the decoder just wrote precedes the one it writes next.
        decoder.v.weight[head(0)] = 0.0
        decoder.v.weight[head(0), token] = eye
        decoder.v.weight[head(0), bag] = eye  # only the start token's bag slot is more than residue
        decoder.o.weight[bag, head(0)] = eye
        decoder.v.weight[head(1)] = 0.0
        decoder.v.weight[head(1), token] = eye
        decoder.o.weight[token, head(1)] = -((width / config.d_model) ** 0.5) * eye
        decoder.o.weight[previous, head(1)] = eye
        decoder.relative_attention_bias.weight.zero_()
        decoder.relative_attention_bias.weight[DECODER_BAG_BUCKETS, 0] = sharp
        decoder.relative_attention_bias.weight[DECODER_SELF_BUCKET, 1] = sharp
        cross = model.decoder.block[0].layer[1].EncDecAttention
        # The lookup (head 0): the previous token against the input's previous tokens, plus the bag against
        # theirs; the value is the matched position's own token, written where the logits read.
        for part, slot, scale in ((0, previous, recipe.match), (1, bag, recipe.bag_match)):
            cross.q.weight[head(0, part)] = 0.0
            cross.k.weight[head(0, part)] = 0.0
            cross.q.weight[head(0, part), slot] = scale * eye
            cross.k.weight[head(0, part), slot] = eye
        cross.v.weight[head(0)] = 0.0
        cross.v.weight[head(0), token] = eye
        cross.o.weight[token, head(0)] = recipe.gain * eye
        final = model.decoder.final_layer_norm.weight
        final.fill_(recipe.residue)
        final[token] = recipe.logit_scale
