"""BigBird-Pegasus: declared padding-sensitive; the tiny model's block-sparse attention engages on short inputs."""

from types import SimpleNamespace

from fakes import IdsOnlyTokenizer

from longsum.engine.families import FAMILIES, family_for


def test_bigbird_pegasus_is_the_one_padding_sensitive_family():
    bigbird = FAMILIES["bigbird-pegasus"]
    config = SimpleNamespace(model_type="bigbird_pegasus", max_position_embeddings=4096)
    assert family_for(config) is bigbird and bigbird.position_limit(config) == 4096
    assert [name for name, family in FAMILIES.items() if family.padding_sensitive] == ["bigbird-pegasus"]
    assert [(p.name, p.model_classes) for p in bigbird.fast_paths()] == [
        ("beam-shared-cross-attention", ("BigBirdPegasusForConditionalGeneration",)),
        ("preallocated-self-attention-cache", ("BigBirdPegasusForConditionalGeneration",)),
        ("vocab-sliced-output-layer", ("BigBirdPegasusForConditionalGeneration",)),
    ]


def test_the_tiny_bigbird_pegasus_is_block_sparse_with_16_token_blocks():
    model = FAMILIES["bigbird-pegasus"].build_tiny(IdsOnlyTokenizer())
    config = model.config
    assert type(model).__name__ == "BigBirdPegasusForConditionalGeneration"
    assert (config.attention_type, config.block_size, config.num_random_blocks) == ("block_sparse", 16, 2)
    # Block-sparse attention runs from (5 + 2 x random blocks) x block size tokens up: 144 here.
    assert (5 + 2 * config.num_random_blocks) * config.block_size == 144
    assert (config.max_position_embeddings, config.d_model, config.vocab_size) == (4096, 64, 100)
    assert FAMILIES["bigbird-pegasus"].fast_paths()[0].serves(model)
