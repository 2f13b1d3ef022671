"""The generic family: any model type no family claims runs as stock transformers, limited by its position table."""

from longsum.engine.families import FAMILIES, family_for, input_limit


def test_unknown_model_types_run_as_the_generic_family():
    class Config:
        model_type = "t5"
        max_position_embeddings = 512

    family = family_for(Config())
    assert family.name == "generic" and not family.fast_paths()
    assert input_limit(family, Config(), None) == 512
    Config.max_position_embeddings = None
    assert input_limit(family, Config(), None) == 16384 == input_limit(FAMILIES["longt5"], Config(), None)


def test_the_generic_family_claims_no_model_type_and_has_no_builtin():
    generic = FAMILIES["generic"]
    assert generic.model_types == () and generic.builtin is None and not generic.padding_sensitive
