from longsum.config import ModelSettings
from longsum.engine.builtin_models import builtin_checkpoint, is_builtin
from longsum.engine.loading import load_model


def test_builtin_names_are_reserved():
    assert is_builtin("builtin") and is_builtin("builtin:local")
    assert not is_builtin("google/long-t5-local-base")


def test_builtin_is_built_once_and_cached():
    path = builtin_checkpoint("builtin:local")
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert builtin_checkpoint("builtin:local") == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp


def test_builtin_loads_through_from_pretrained_with_a_sentencepiece_tokenizer():
    loaded = load_model(ModelSettings(model="builtin:tglobal"))
    assert loaded.model.config.encoder_attention_type == "transient-global"
    tokenizer = loaded.tokenizer
    ids = tokenizer("the patients were treated with a new drug.").input_ids
    assert ids[-1] == tokenizer.eos_token_id and len(ids) > 3
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "the patients were treated with a new drug."


def test_every_family_has_a_builtin_that_loads_as_that_family():
    from longsum.engine.builtin_models import builtin_names
    from longsum.engine.families import family_for

    assert builtin_names() == [
        "builtin", "builtin:tglobal", "builtin:local", "builtin:bart", "builtin:bigbird-pegasus", "builtin:led",
        "builtin:pegasus-x",
    ]
    loaded = load_model(ModelSettings(model="builtin:pegasus-x"))
    assert family_for(loaded.model.config).name == "pegasus-x"
    assert loaded.tokenizer.decode(loaded.tokenizer("a new drug.").input_ids, skip_special_tokens=True) == "a new drug."
