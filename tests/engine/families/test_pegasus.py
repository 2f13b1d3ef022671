"""PEGASUS: its position table is its limit; the tiny PEGASUS has the hub checkpoints' 1,024 positions."""

from types import SimpleNamespace

from fakes import IdsOnlyTokenizer

from longsum.engine.families import FAMILIES, family_for


def test_pegasus_serves_its_model_type_with_its_position_table_as_the_limit():
    pegasus = FAMILIES["pegasus"]
    config = SimpleNamespace(model_type="pegasus", max_position_embeddings=1024)
    assert family_for(config) is pegasus and pegasus.position_limit(config) == 1024
    assert not pegasus.padding_sensitive and pegasus.builtin == "builtin:pegasus"
    assert [(p.name, p.model_classes) for p in pegasus.fast_paths()] == [
        ("beam-shared-cross-attention", ("PegasusForConditionalGeneration",)),
        ("preallocated-self-attention-cache", ("PegasusForConditionalGeneration",)),
        ("vocab-sliced-output-layer", ("PegasusForConditionalGeneration",)),
    ]


def test_the_tiny_pegasus_has_1024_positions_and_the_shared_tiny_widths():
    model = FAMILIES["pegasus"].build_tiny(IdsOnlyTokenizer())
    config = model.config
    assert type(model).__name__ == "PegasusForConditionalGeneration"
    assert (config.max_position_embeddings, config.d_model, config.encoder_layers, config.decoder_layers) == (
        1024,
        64,
        2,
        2,
    )
    assert (config.vocab_size, config.pad_token_id, config.eos_token_id, config.decoder_start_token_id) == (
        100,
        0,
        1,
        0,
    )
    assert FAMILIES["pegasus"].fast_paths()[0].serves(model)
