from longsum.config import ModelSettings
from longsum.summarizers.builtin import builtin_checkpoint, is_builtin
from longsum.summarizers.resolver import load_checkpoint


def test_builtin_names_are_reserved():
    assert is_builtin("builtin") and is_builtin("builtin:local")
    assert not is_builtin("google/long-t5-local-base")


def test_builtin_is_built_once_and_cached():
    path = builtin_checkpoint("builtin:local")
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert builtin_checkpoint("builtin:local") == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp


def test_builtin_loads_through_from_pretrained_with_a_sentencepiece_tokenizer():
    loaded = load_checkpoint(ModelSettings(model="builtin:tglobal"))
    assert loaded.model.config.encoder_attention_type == "transient-global"
    tokenizer = loaded.tokenizer
    ids = tokenizer("the patients were treated with a new drug.").input_ids
    assert ids[-1] == tokenizer.eos_token_id and len(ids) > 3
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "the patients were treated with a new drug."


def test_every_family_has_a_builtin_that_loads_as_that_family():
    from longsum.engine.families import family_for
    from longsum.summarizers.builtin import builtin_names

    assert builtin_names() == [
        "builtin",
        "builtin:tglobal",
        "builtin:local",
        "builtin:bart",
        "builtin:bigbird-pegasus",
        "builtin:led",
        "builtin:pegasus",
        "builtin:pegasus-x",
        "builtin:llama",
        "builtin:qwen2",
        "builtin:mistral",
    ]
    loaded = load_checkpoint(ModelSettings(model="builtin:pegasus-x"))
    assert family_for(loaded.model.config).name == "pegasus-x"
    assert loaded.tokenizer.decode(loaded.tokenizer("a new drug.").input_ids, skip_special_tokens=True) == "a new drug."


def test_builtin_is_the_shipped_demonstration_model_with_its_training_record():
    import json

    from longsum.summarizers.builtin import demo_checkpoint

    path = builtin_checkpoint("builtin")
    assert path == demo_checkpoint()
    assert sum(f.stat().st_size for f in path.iterdir()) <= 20 * 10**6, "small enough to ship in the package"
    record = json.loads((path / "training.json").read_text())
    assert len(record["data"]["held_out_ids"]) >= 64 and record["recipe"]["seed"] == 0
    assert len(record["data"]["sample_sha256"]) == 64
    loaded = load_checkpoint(ModelSettings(model="builtin"))
    assert loaded.model.config.encoder_attention_type == "transient-global"
    assert loaded.model.generation_config.min_length == record["recipe"]["min_length"]


def test_held_out_articles_are_the_first_of_the_shared_sample(pubmed_sample):
    import json

    from longsum.summarizers.builtin import demo_checkpoint

    held_out = json.loads((demo_checkpoint() / "training.json").read_text())["data"]["held_out_ids"]
    first = [json.loads(line)["id"] for line in pubmed_sample.read_text(encoding="utf-8").splitlines()[: len(held_out)]]
    assert first == held_out
