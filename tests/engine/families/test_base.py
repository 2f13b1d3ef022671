"""The family registry and a family's defaults: which family serves a config, the input limit in force, and which
models a fast path serves."""

from types import SimpleNamespace

import pytest

from longsum.config import BatchSettings, GenerationSettings, ModelSettings
from longsum.engine.families import base
from longsum.engine.families.base import (
    DEFAULT_INPUT_LIMIT,
    FAMILIES,
    Family,
    FastPath,
    family_for,
    input_limit,
    register,
)
from longsum.engine.loading import load_model
from longsum.errors import LongsumError
from longsum.summarizers.seq2seq import load_seq2seq


def test_the_registry_holds_every_family_module():
    assert sorted(FAMILIES) == ["bart", "bigbird-pegasus", "generic", "led", "longt5", "pegasus", "pegasus-x"]
    assert all(name == family.name for name, family in FAMILIES.items())


def test_a_registered_family_serves_its_model_types_and_no_other(monkeypatch):
    monkeypatch.setattr(base, "FAMILIES", dict(FAMILIES))

    @register
    class MadeUp(Family):
        name = "made-up"
        model_types = ("made_up", "made_up_v2")

    assert isinstance(base.FAMILIES["made-up"], MadeUp)
    assert family_for(SimpleNamespace(model_type="made_up_v2")) is base.FAMILIES["made-up"]
    assert family_for(SimpleNamespace(model_type="made_up_v3")) is base.FAMILIES["generic"]


def test_a_family_s_defaults_add_nothing_to_the_stock_model():
    family = Family()
    assert family.encoder_inputs("ids", "mask") == {} and family.fast_paths() == ()
    with pytest.raises(NotImplementedError, match="no tiny generic model"):
        family.build_tiny(None)


def test_the_position_limit_is_the_first_positive_integer_among_the_limit_keys():
    class TwoKeys(Family):
        limit_keys = ("max_encoder_position_embeddings", "max_position_embeddings")

    family = TwoKeys()
    limit = family.position_limit
    assert limit(SimpleNamespace(max_encoder_position_embeddings=4096, max_position_embeddings=1024)) == 4096
    assert limit(SimpleNamespace(max_encoder_position_embeddings=0, max_position_embeddings=1024)) == 1024
    assert limit(SimpleNamespace(max_encoder_position_embeddings=None, max_position_embeddings="1024")) is None
    assert limit(SimpleNamespace()) is None


def test_the_input_limit_in_force_by_hand():
    family, short, unbounded = Family(), SimpleNamespace(max_position_embeddings=1024), SimpleNamespace()
    assert input_limit(family, short, None) == 1024
    assert input_limit(family, SimpleNamespace(max_position_embeddings=32768), None) == DEFAULT_INPUT_LIMIT == 16384
    assert input_limit(family, unbounded, None) == 16384
    assert input_limit(family, unbounded, 50000) == 50000  # no position table to check it against
    assert input_limit(family, short, 1024) == 1024
    with pytest.raises(LongsumError, match=r"^--max-input-tokens 1025 is more than this generic model's 1024 input"):
        input_limit(family, short, 1025)


def test_a_fast_path_serves_the_classes_it_names_where_it_applies():
    class Written:
        dtype = "fp16"

    class Derived(Written):
        pass

    path = FastPath("p", ("Written",), lambda model: [], applies=lambda model: model.dtype == "fp16")
    assert path.serves(Written())
    assert not path.serves(Derived())  # by exact class name: a subclass may change the modules the path patches
    single = Written()
    single.dtype = "fp32"
    assert not path.serves(single)
    assert FastPath("q", ("Written",), lambda model: []).serves(single)  # applies to every instance by default


def test_the_input_limit_is_the_model_own_unless_given(tiny_family):
    name, model_dir = tiny_family
    loaded = load_model(ModelSettings(model=str(model_dir)))
    family = family_for(loaded.model.config)
    assert family.name == name
    own = {"led": 16384, "bart": 1024, "pegasus": 1024, "pegasus-x": 16384, "bigbird-pegasus": 4096}[name]
    assert family.position_limit(loaded.model.config) == own
    summarizer = load_seq2seq(loaded, GenerationSettings(), BatchSettings())
    assert summarizer.max_input_tokens == min(own, 16384) == summarizer.describe().max_input_tokens
    ids, source = summarizer.encode("word " * 20000)
    assert len(ids) == summarizer.max_input_tokens < source
    with pytest.raises(LongsumError, match=f"--max-input-tokens {own + 1} is more than this {name} model's {own}"):
        load_seq2seq(loaded, GenerationSettings(), BatchSettings(max_input_tokens=own + 1))
