"""The output layer in vocabulary slices: stock logits at every row count, stock scores and summaries on tiny LongT5
and BART decoders, engaged where it serves, and left off when a slice rounds otherwise."""

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.config import BatchSettings, DataSettings, GenerationSettings, ModelSettings
from longsum.engine.families import FAMILIES, vocab_slices
from longsum.engine.families.vocab_slices import SLICED_ROWS, rounds_as_stock, sliced_output_forward
from longsum.engine.generation_config import effective_generation_config
from longsum.engine.loading import load_model, torch_dtype
from longsum.engine.seq2seq_decoding import encode_alone_decode_padded
from longsum.sources.documents import iter_documents
from longsum.summarizers.seq2seq import load_seq2seq

PATH = "vocab-sliced-output-layer"


@pytest.mark.parametrize("dtype", [torch.float32, pytest.param(torch.bfloat16, marks=NATIVE_BF16)])
def test_slices_give_the_stock_logits_at_longt5_base_widths_for_1_to_40_rows(dtype):
    """bf16 is identical too, but slower than oneDNN's one product, so the path does not serve it."""
    torch.manual_seed(0)
    head = torch.nn.Linear(768, 32128, bias=False).to(dtype)
    hidden = torch.randn(40, 1, 768).to(dtype)
    with torch.inference_mode():
        for rows in range(1, 41):
            assert torch.equal(sliced_output_forward(head, hidden[:rows]), head(hidden[:rows])), rows


def test_the_path_serves_a_bias_free_fp32_cpu_output_layer_only(tiny_tglobal):
    model = load_model(ModelSettings(model=str(tiny_tglobal))).model
    path = next(p for p in FAMILIES["longt5"].fast_paths() if p.name == PATH)
    assert path.engages(model) and [module for module, _ in path.targets(model)] == [model.lm_head]
    assert path.check is rounds_as_stock and rounds_as_stock(model)
    assert not path.serves(model.to(torch.bfloat16)) and not path.serves(model.to(torch.float16))
    model.float().lm_head.bias = torch.nn.Parameter(torch.zeros(model.config.vocab_size))
    assert not path.serves(model)


def test_rows_outside_the_served_counts_and_recorded_gradients_run_the_stock_product(monkeypatch):
    head = torch.nn.Linear(8, 3000, bias=False)
    products = []
    real_mm = torch.mm
    monkeypatch.setattr(torch, "mm", lambda *args, **kwargs: products.append(1) or real_mm(*args, **kwargs))
    with torch.inference_mode():
        for rows in (1, SLICED_ROWS[-1] + 1):
            sliced_output_forward(head, torch.randn(rows, 1, 8))
        assert not products
        sliced_output_forward(head, torch.randn(2, 1, 8))
    assert len(products) == 3  # 1,024 + 1,024 + 952 columns
    out = sliced_output_forward(head, torch.randn(2, 1, 8))
    assert out.requires_grad and len(products) == 3


def _documents(examples, count):
    return [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=count))]


@pytest.fixture(params=["tglobal", "local", "bart"])
def tiny_decoder(request, tiny_tglobal, tiny_local, tmp_path_factory):
    """A tiny LongT5 of each attention type (T5's initializer scale 10) and a tiny BART (init_std 0.5)."""
    if request.param == "bart":
        from longsum.summarizers.builtin import build_tiny_family

        return build_tiny_family(tmp_path_factory.mktemp("tiny-bart"), "bart")
    return tiny_tglobal if request.param == "tglobal" else tiny_local


@pytest.mark.parametrize(
    ("dtype", "beams", "documents"),
    [
        ("fp32", 2, 1),
        ("fp32", 2, 3),
        ("fp32", 1, 1),
        ("fp32", 1, 3),
        pytest.param("bf16", 2, 3, marks=NATIVE_BF16),
    ],
)
def test_decoding_with_the_path_gives_the_stock_scores_and_summaries(
    tiny_decoder, examples, dtype, beams, documents, monkeypatch
):
    loaded = load_model(ModelSettings(model=str(tiny_decoder)))
    loaded.model.to(torch_dtype(dtype))
    summarizer = load_seq2seq(loaded, GenerationSettings(max_length=24, num_beams=beams), BatchSettings())
    engaged = [p for p in summarizer.fast_paths if p.name == PATH]
    # The self-check keeps the path where it serves (fp32), and it is not offered in bf16.
    assert len(engaged) == (dtype == "fp32")
    sliced_rows = []

    def counted(head, hidden):
        sliced_rows.append(hidden.numel() // hidden.shape[-1])
        return sliced_output_forward(head, hidden)

    monkeypatch.setattr(vocab_slices, "sliced_output_forward", counted)
    # The summarizer's settings, with every step's scores.
    config = effective_generation_config(summarizer.generation_config, GenerationSettings())
    config.output_scores, config.return_dict_in_generate = True, True
    rows = [torch.tensor(summarizer.encode(t)[0][: 150 + 100 * i]) for i, t in enumerate(_documents(examples, 3))]
    rows = rows[:documents]
    family = summarizer.family
    with torch.inference_mode():
        _, _, stock = encode_alone_decode_padded(loaded.model, family, rows, [], config)
        _, _, fast = encode_alone_decode_padded(loaded.model, family, rows, engaged, config)
    assert torch.equal(fast.sequences, stock.sequences)
    assert torch.equal(torch.stack(fast.scores), torch.stack(stock.scores))
    assert sliced_rows == ([beams * documents] * len(stock.scores) if engaged else [])
    if documents > 1:
        assert len({tuple(r) for r in stock.sequences.tolist()}) > 1, "summaries must differ across documents"


def _one_ulp_off_at(monkeypatch, rows):
    """Make the sliced output layer round one unit in the last place otherwise in products of ``rows`` rows."""
    real = vocab_slices.sliced_output_forward

    def drifting(head, hidden):
        out = real(head, hidden)
        if hidden.numel() // hidden.shape[-1] == rows:
            return torch.nextafter(out, torch.full_like(out, float("inf")))
        return out

    monkeypatch.setattr(vocab_slices, "sliced_output_forward", drifting)


@pytest.mark.parametrize("rows", [7, 4])
def test_a_slice_that_rounds_otherwise_at_any_served_row_count_leaves_the_path_off(tiny_tglobal, monkeypatch, rows):
    """At 7 rows only the path's own check sees it; at the decoding comparison's 4 rows (2 inputs x 2 beams) the
    comparison's scores do, with the path's check made to pass."""
    _one_ulp_off_at(monkeypatch, rows)
    if rows == 4:
        monkeypatch.setattr(vocab_slices, "rounds_as_stock", lambda model: True)
    loaded = load_model(ModelSettings(model=str(tiny_tglobal)))
    summarizer = load_seq2seq(loaded, GenerationSettings(), BatchSettings())
    assert PATH not in [p.name for p in summarizer.fast_paths]
    assert "preallocated-self-attention-cache" in [p.name for p in summarizer.fast_paths]
    assert summarizer.warnings == [
        f"fast path {PATH} disengaged: on LongT5ForConditionalGeneration it did not reproduce stock transformers"
    ]
