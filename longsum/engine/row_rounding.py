"""Whether a product rounds a row the same whatever the number of rows beside it.

A BLAS picks its kernel by the shape of a product, and the kernels for a few rows can sum in another
order than those for many (measured with MKL on this CPU: in a product of fewer than 12 rows, the
rows past the last multiple of 4 round differently). A decoder row's logits can then depend on how
many documents share its batch, and on a near-tie a beam flips. Hand-written: no library tests this.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def rows_round_alike(linears: Iterable[Any], rows: int, multiples: Sequence[int], seed: int = 0) -> bool:
    """Whether each of ``linears`` gives every row of a product of ``k x rows`` rows (``k`` in ``multiples``)
    the bits it gives that row in a product of ``rows`` rows."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        for linear in linears:
            weight = linear.weight
            inputs = torch.randn(rows * max(multiples), weight.shape[1], generator=generator).to(
                weight.device, weight.dtype
            )
            alone = torch.cat([linear(inputs[start : start + rows]) for start in range(0, len(inputs), rows)])
            if not all(torch.equal(linear(inputs[: k * rows]), alone[: k * rows]) for k in multiples):
                return False
    return True


def decoder_linears(model: Any) -> list[Any]:
    """One ``nn.Linear`` of each weight shape in ``model``'s decoder, and its output layer."""
    import torch

    found: dict[tuple[int, ...], Any] = {}
    modules = [*model.get_decoder().modules(), model.get_output_embeddings()]
    for module in modules:
        if isinstance(module, torch.nn.Linear):
            found.setdefault(tuple(module.weight.shape), module)
    return list(found.values())
