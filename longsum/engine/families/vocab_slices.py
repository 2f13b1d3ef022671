"""The decoder's output layer as one product per slice of the vocabulary, where MKL runs those faster than one.

At LongT5-base's widths (768 x 32,128, fp32) MKL's product of 16 decoder rows with the whole output layer read its
99 MB of weights at 5.4 GB/s in a profile of the base bench (18.2 ms a step); the same product as slices, each
written into its place in one logits tensor, took about two thirds of the time. Each logit is the same dot product
over the model width in both (slicing splits the vocabulary, never the sum), and measured here each slice gives the
stock bits at every row count it serves; the load-time check confirms that on the machine it runs on. In bf16
oneDNN's single product is already faster than slices, and one row runs as a matrix-vector product no faster
sliced: both stay stock.
Anything the stock model does around its output layer (T5's rescale of tied embeddings, BART's
``final_logits_bias``) is outside the patched module and runs as stock.
"""

from __future__ import annotations

from typing import Any

from longsum.engine.families.base import FastPath

#: Vocabulary columns per product: at LongT5-base's widths, 2-32 rows, the fastest or within noise of it of 256-8,192.
SLICE_COLUMNS = 1024
#: Decoder rows per step the slices serve (2 beams x 1-16 documents, or greedy 2-32): measured faster and identical
#: at each, and all checked at load. One row, and more than these, run the stock product.
SLICED_ROWS = range(2, 33)


def sliced_output_forward(head: Any, hidden: Any) -> Any:
    """``nn.Linear.forward`` of a bias-free output layer, computed one vocabulary slice at a time on ``SLICED_ROWS``
    rows; stock for any other row count, and where gradients are recorded (``out=`` products record none)."""
    import torch

    weight = head.weight
    rows = hidden.numel() // hidden.shape[-1]
    if rows not in SLICED_ROWS or torch.is_grad_enabled():
        return type(head).forward(head, hidden)
    flat = hidden.reshape(rows, hidden.shape[-1])
    logits = torch.empty(rows, weight.shape[0], dtype=hidden.dtype, device=hidden.device)
    for start in range(0, weight.shape[0], SLICE_COLUMNS):
        columns = slice(start, start + SLICE_COLUMNS)
        # A strided output is handed to BLAS as its leading dimension: each slice is written in place, no copy.
        torch.mm(flat, weight[columns].t(), out=logits[:, columns])
    return logits.view(*hidden.shape[:-1], weight.shape[0])


def _output_layer(model: Any) -> list[tuple[Any, Any]]:
    return [(model.get_output_embeddings(), sliced_output_forward)]


def _serves(model: Any) -> bool:
    # Measured faster only in fp32 on the CPU (MKL); a bias would be added inside the stock product.
    import torch

    head = model.get_output_embeddings()
    return (
        isinstance(head, torch.nn.Linear)
        and head.bias is None
        and head.weight.dtype == torch.float32
        and head.weight.device.type == "cpu"
    )


def rounds_as_stock(model: Any, seed: int = 0) -> bool:
    """Whether the sliced output layer gives the stock bits at every row count it serves, on random rows."""
    import torch

    head = model.get_output_embeddings()
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(SLICED_ROWS[-1], 1, head.in_features, generator=generator).to(head.weight)
    with torch.inference_mode():
        return all(
            torch.equal(type(head).forward(head, hidden[:rows]), sliced_output_forward(head, hidden[:rows]))
            for rows in SLICED_ROWS
        )


def vocab_sliced_output_layer(model_classes: tuple[str, ...]) -> FastPath:
    """The sliced output layer for the seq2seq decoders of ``model_classes``, checked at load at every row count."""
    return FastPath("vocab-sliced-output-layer", model_classes, _output_layer, _serves, check=rounds_as_stock)
