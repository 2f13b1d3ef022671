"""LED: global attention on the first token, the encoder's own position limit, a tiny LED with a short window."""

from types import SimpleNamespace

import torch
from fakes import IdsOnlyTokenizer

from longsum.engine.families import FAMILIES, family_for


def test_led_puts_global_attention_on_the_first_token_only():
    ids = torch.ones(2, 5, dtype=torch.long)
    mask = FAMILIES["led"].encoder_inputs(ids, None)["global_attention_mask"]
    assert mask.tolist() == [[1, 0, 0, 0, 0]] * 2


def test_led_s_limit_is_its_encoder_positions_not_its_decoder_s():
    led = FAMILIES["led"]
    config = SimpleNamespace(model_type="led", max_encoder_position_embeddings=16384, max_position_embeddings=1024)
    assert family_for(config) is led and led.position_limit(config) == 16384
    path, cache, sliced = led.fast_paths()
    assert (path.name, path.model_classes, path.beam_cache) == (
        "beam-shared-cross-attention",
        ("LEDForConditionalGeneration",),
        True,
    )
    assert (cache.name, cache.model_classes, cache.self_cache) == (
        "preallocated-self-attention-cache",
        ("LEDForConditionalGeneration",),
        True,
    )
    assert (sliced.name, sliced.model_classes) == ("vocab-sliced-output-layer", ("LEDForConditionalGeneration",))


def test_the_tiny_led_attends_in_16_token_windows_over_the_real_model_s_positions():
    model = FAMILIES["led"].build_tiny(IdsOnlyTokenizer())
    config = model.config
    assert type(model).__name__ == "LEDForConditionalGeneration"
    assert config.attention_window == [16, 16]  # one per encoder layer
    assert (config.max_encoder_position_embeddings, config.max_decoder_position_embeddings) == (16384, 1024)
    assert (config.d_model, config.encoder_layers, config.vocab_size, config.decoder_start_token_id) == (64, 2, 100, 0)
    assert FAMILIES["led"].fast_paths()[0].serves(model)
