import pytest
from conftest import NATIVE_BF16
from fakes import RowCountedLinear

from longsum.engine.row_rounding import decoder_linears, rows_round_alike


def test_rows_that_round_alike_pass_and_a_row_count_dependent_product_fails():
    exact = RowCountedLinear(rows=10**9)
    assert rows_round_alike([exact], rows=4, multiples=range(2, 9))
    assert not rows_round_alike([exact, RowCountedLinear(rows=12)], rows=4, multiples=range(2, 9))
    # Up to 3 batches of 4 rows the product is exact, so only a multiple past that is caught.
    assert rows_round_alike([RowCountedLinear(rows=12)], rows=4, multiples=range(2, 4))


def test_the_decoders_linears_one_per_shape_with_the_output_layer(tiny_tglobal):
    from transformers import AutoModelForSeq2SeqLM

    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_tglobal)
    linears = decoder_linears(model)
    shapes = [tuple(linear.weight.shape) for linear in linears]
    assert len(shapes) == len(set(shapes))
    assert tuple(model.get_output_embeddings().weight.shape) in shapes
    assert all(
        any(linear is module for module in model.get_decoder().modules())
        for linear in linears
        if linear is not model.get_output_embeddings()
    )
    assert not any(linear is module for linear in linears for module in model.get_encoder().modules())


@NATIVE_BF16
@pytest.mark.parametrize("shape", [(768, 2048), (1024, 32128)])
def test_native_bf16_products_round_a_row_alike_whatever_the_rows_beside_it(shape):
    """Measured on AVX512-BF16: oneDNN's bf16 products give a row the same bits from 2 rows up to 64, unlike
    MKL's fp32 ones (see the module docstring), so in bf16 the row-rounding check passes at real widths."""
    import torch

    linear = torch.nn.Linear(*shape, bias=False).to(torch.bfloat16)
    assert rows_round_alike([linear], rows=2, multiples=range(2, 33))
    assert not rows_round_alike([linear.float()], rows=2, multiples=range(2, 33))
