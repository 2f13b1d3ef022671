"""BERTScore (Zhang et al., 2020) through the ``bert-score`` package as a Hugging Face ``evaluate`` module, with the
model the user names, offline with a local checkpoint: ``--metric 'builtin:bertscore?model=PATH&num_layers=N'``.

This file is package data that ``evaluate`` copies and imports; it is not part of longsum's import graph.
"""

from typing import Any

import datasets
import evaluate

_DESCRIPTION = "BERTScore precision, recall and F1 of each summary against its reference, and their means."
_KWARGS = """
Args:
    predictions: summaries to score.
    references: one reference summary per prediction.
    model: a hub id or a local checkpoint directory of an encoder (bert-score's model_type).
    num_layers: the layer whose embeddings are matched (default: bert-score's choice for a known model).
    idf: weight tokens by inverse document frequency over the references ("1"/"true" or "0"/"false", default off).
    batch_size: sentences per forward (default 64).
    device: where the encoder runs (default: CUDA when there is one, else the CPU).
Returns:
    precision, recall, f1: the means over documents (a pair with an empty side counts 0); f1_per_document;
    hashcode: bert-score's own signature.
"""


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class LongsumBertscore(evaluate.Metric):
    """BERTScore with a named model."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="Zhang et al., BERTScore: Evaluating Text Generation with BERT, ICLR 2020.",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://github.com/Tiiiger/bert_score"],
        )

    def _compute(
        self,
        predictions: list[str],
        references: list[str],
        model: str | None = None,
        num_layers: Any = None,
        idf: Any = False,
        batch_size: Any = 64,
        device: str | None = None,
    ) -> dict[str, Any]:
        import bert_score

        if model is None:
            raise ValueError("name the encoder: builtin:bertscore?model=HUB_ID_OR_LOCAL_DIRECTORY")
        layers = None if num_layers is None else int(num_layers)
        # A pair with an empty side scores 0: bert-score 0.3.13 encodes an empty text through a tokenizer method
        # that transformers 5 no longer has.
        kept = [i for i, (p, r) in enumerate(zip(predictions, references, strict=True)) if p.strip() and r.strip()]
        scores = [[0.0] * len(predictions) for _ in range(3)]
        if kept:
            computed = bert_score.score(
                [predictions[i] for i in kept],
                [references[i] for i in kept],
                model_type=model,
                num_layers=layers,
                idf=_flag(idf),
                batch_size=int(batch_size),
                device=device,
            )
            for row, values in zip(scores, computed, strict=True):
                for i, value in zip(kept, values.tolist(), strict=True):
                    row[i] = value
        precision, recall, f1 = scores
        layer = layers if layers is not None else bert_score.utils.model2layers.get(model)
        count = max(1, len(predictions))
        return {
            "precision": sum(precision) / count,
            "recall": sum(recall) / count,
            "f1": sum(f1) / count,
            "f1_per_document": f1,
            "hashcode": bert_score.utils.get_hash(model, layer, _flag(idf), False, False, False),
        }
