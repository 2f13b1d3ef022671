"""Pegasus-X: 16,384 positions; the tiny Pegasus-X has blocks short enough for short tests to cross them."""

from types import SimpleNamespace

from fakes import IdsOnlyTokenizer

from longsum.engine.families import FAMILIES, family_for


def test_pegasus_x_serves_its_model_type_with_its_position_table_as_the_limit():
    pegasus_x = FAMILIES["pegasus-x"]
    config = SimpleNamespace(model_type="pegasus_x", max_position_embeddings=16384)
    assert family_for(config) is pegasus_x and pegasus_x.position_limit(config) == 16384
    assert family_for(SimpleNamespace(model_type="pegasus")) is not pegasus_x
    assert not pegasus_x.padding_sensitive and pegasus_x.builtin == "builtin:pegasus-x"
    assert [(p.name, p.model_classes) for p in pegasus_x.fast_paths()] == [
        ("beam-shared-cross-attention", ("PegasusXForConditionalGeneration",)),
        ("preallocated-self-attention-cache", ("PegasusXForConditionalGeneration",)),
        ("vocab-sliced-output-layer", ("PegasusXForConditionalGeneration",)),
    ]


def test_the_tiny_pegasus_x_has_16_token_blocks_and_4_global_tokens():
    model = FAMILIES["pegasus-x"].build_tiny(IdsOnlyTokenizer())
    config = model.config
    assert type(model).__name__ == "PegasusXForConditionalGeneration"
    assert (config.block_size, config.num_global_tokens, config.stagger_local_blocks) == (16, 4, True)
    assert (config.max_position_embeddings, config.d_model, config.vocab_size) == (16384, 64, 100)
    assert FAMILIES["pegasus-x"].fast_paths()[0].serves(model)
