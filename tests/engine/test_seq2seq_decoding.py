"""Decoding as longsum does: rows right-padded with their mask, ids with the pad id and hidden states with zeros;
each input encoded alone gives the encoder outputs it gives unbatched."""

import torch
from transformers.modeling_outputs import BaseModelOutput

from longsum.config import GenerationSettings, ModelSettings
from longsum.engine.families import FAMILIES
from longsum.engine.generation_config import effective_generation_config
from longsum.engine.loading import load_model
from longsum.engine.seq2seq_decoding import encode_alone_decode_padded, padded


def test_id_rows_are_right_padded_with_the_pad_id_and_masked():
    rows = [torch.tensor([5, 6, 7]), torch.tensor([8]), torch.tensor([9, 10])]
    ids, mask = padded(rows, 4, pad_token_id=0)
    assert ids.tolist() == [[5, 6, 7, 0], [8, 0, 0, 0], [9, 10, 0, 0]]
    assert mask.tolist() == [[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]]
    assert ids.dtype == torch.long and mask.dtype == torch.long
    other_pad, _ = padded(rows, 3, pad_token_id=7)
    assert other_pad.tolist() == [[5, 6, 7], [8, 7, 7], [9, 10, 7]]


def test_hidden_state_rows_are_padded_with_zeros_whatever_the_pad_id():
    first = torch.arange(6, dtype=torch.float16).view(3, 2) + 1
    second = torch.full((1, 2), -2.0, dtype=torch.float16)
    states, mask = padded([first, second], 3, pad_token_id=7)
    assert states.shape == (2, 3, 2) and states.dtype == torch.float16
    assert torch.equal(states[0], first)
    assert states[1].tolist() == [[-2.0, -2.0], [0.0, 0.0], [0.0, 0.0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_each_input_is_encoded_alone_and_decoded_in_one_batch(tiny_tglobal):
    loaded = load_model(ModelSettings(model=str(tiny_tglobal)))
    model, family = loaded.model, FAMILIES["longt5"]
    config = effective_generation_config(model.generation_config, GenerationSettings(max_new_tokens=4, num_beams=2))
    generator = torch.Generator().manual_seed(0)
    rows = [torch.randint(3, 1000, (n,), generator=generator) for n in (40, 25)]
    with torch.inference_mode():
        states, mask, out = encode_alone_decode_padded(model, family, rows, [], config)
        alone = [model.get_encoder()(input_ids=row[None]).last_hidden_state[0] for row in rows]
        by_hand = model.generate(
            encoder_outputs=BaseModelOutput(last_hidden_state=states), attention_mask=mask, generation_config=config
        )
    assert torch.equal(states[0], alone[0]) and torch.equal(states[1, :25], alone[1])
    assert not states[1, 25:].any() and mask.sum(dim=1).tolist() == [40, 25]
    # One beam search over both padded rows: the decoder start and at most 4 new tokens a row.
    assert out.shape[0] == 2 and out.shape[1] <= 5 and out[:, 0].tolist() == [config.decoder_start_token_id] * 2
    assert torch.equal(out, by_hand)
