"""BART and the families whose decoder attention is BART's: their beam-shared cross-attention gives the stock
beams, and the BART family serves BART, mBART and PLBART."""

from types import SimpleNamespace

import pytest
import torch
from fakes import IdsOnlyTokenizer

from longsum.config import BatchSettings, DataSettings, GenerationSettings, ModelSettings
from longsum.engine.families import FAMILIES, family_for
from longsum.engine.loading import load_model
from longsum.sources.documents import iter_documents
from longsum.summarizers.seq2seq import load_seq2seq


def test_the_bart_family_serves_bart_mbart_and_plbart_but_its_path_only_bart():
    bart = FAMILIES["bart"]
    assert all(family_for(SimpleNamespace(model_type=t)) is bart for t in ("bart", "mbart", "plbart"))
    assert bart.position_limit(SimpleNamespace(max_position_embeddings=1024)) == 1024
    path, cache, sliced = bart.fast_paths()
    assert (path.name, path.model_classes, path.beam_cache) == (
        "beam-shared-cross-attention",
        ("BartForConditionalGeneration",),
        True,
    )
    model = bart.build_tiny(IdsOnlyTokenizer())
    assert path.serves(model) and model.config.max_position_embeddings == 1024
    # The path patches every decoder layer's cross-attention, and nothing else.
    assert [module for module, _ in path.targets(model)] == [layer.encoder_attn for layer in model.model.decoder.layers]
    # The cache patches no module: it engages by the cache generate() is handed.
    assert cache.name == "preallocated-self-attention-cache" and cache.engages(model) and not cache.targets(model)
    # The sliced output layer patches the output layer alone; final_logits_bias is added outside it, as stock.
    assert sliced.name == "vocab-sliced-output-layer"
    assert [module for module, _ in sliced.targets(model)] == [model.lm_head]
    model.__class__ = type("MBartForConditionalGeneration", (type(model),), {})
    assert not path.serves(model) and not cache.engages(model) and not sliced.engages(model)


@pytest.mark.parametrize("beams", [2, 3])
def test_beam_shared_cross_attention_gives_the_stock_beams_with_one_cross_row_per_input(tiny_family, examples, beams):
    """On every family with a tiny model besides LongT5: BART's forward for BART, PEGASUS, Pegasus-X and
    BigBird-Pegasus, LED's own for LED."""
    from transformers.modeling_outputs import BaseModelOutput

    from longsum.engine.fast_paths import beam_shared_cross_cache, fast_paths
    from longsum.engine.seq2seq_decoding import encode_alone_decode_padded

    name, model_dir = tiny_family
    paths = [p for p in FAMILIES[name].fast_paths() if p.beam_cache]
    if not paths:
        pytest.skip(f"no beam-shared cross-attention for {name} yet")
    loaded = load_model(ModelSettings(model=str(model_dir)))
    summarizer = load_seq2seq(
        loaded, GenerationSettings(max_length=20, num_beams=beams), BatchSettings(max_input_tokens=600)
    )
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=4))]
    rows = [torch.tensor(summarizer.encode(t)[0][: 200 + 100 * i]) for i, t in enumerate(texts)]
    with torch.inference_mode():
        states, mask, stock = encode_alone_decode_padded(
            loaded.model, summarizer.family, rows, [], summarizer.generation_config
        )
        cache = beam_shared_cross_cache(beams)
        with fast_paths(loaded.model, paths):
            fast = loaded.model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=states),
                attention_mask=mask,
                generation_config=summarizer.generation_config,
                cache=cache,
            )
    assert torch.equal(stock, fast)
    assert len({tuple(r) for r in stock.tolist()}) == len(rows)
    assert cache.cross_attention_cache.layers[0].keys.shape[0] == len(rows)
