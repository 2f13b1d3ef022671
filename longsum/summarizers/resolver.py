"""The one resolver from a ``--model`` string to a summarizer: each kind of value is one entry of ``KINDS``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from longsum.config import EvalConfig, ModelSettings
from longsum.engine.loading import CAUSAL, Checkpoint, LoadedModel, checkpoint_location, load_model
from longsum.errors import LongsumError
from longsum.summarizers import builtin, shapes
from longsum.summarizers.baselines import is_baseline, load_baseline
from longsum.summarizers.causal import load_causal
from longsum.summarizers.protocol import Summarizer
from longsum.summarizers.seq2seq import load_seq2seq
from longsum.summarizers.served import SERVED_PREFIX, is_served, load_served


@dataclass(frozen=True)
class ModelKind:
    """One kind of ``--model`` value: how to recognise it, and either its checkpoint or its summarizer.

    Attributes:
        name: what the kind is called in the help and the docs.
        forms: the values it takes, as ``--model --help`` lists them.
        matches: whether a ``--model`` value is of this kind (the first kind that matches wins).
        checkpoint: where a model kind's files are; ``None`` for summarizers without a checkpoint.
        summarizer: builds a summarizer without a checkpoint (the baselines, served models).
    """

    name: str
    forms: Callable[[], str]
    matches: Callable[[str], bool]
    checkpoint: Callable[[str], Checkpoint] | None = None
    summarizer: Callable[[EvalConfig], Summarizer] | None = None


def _built(path_of: Callable[[str], object]) -> Callable[[str], Checkpoint]:
    return lambda name: Checkpoint(str(path_of(name)), True)


KINDS: tuple[ModelKind, ...] = (
    ModelKind(
        "served model",
        lambda: f"{SERVED_PREFIX}NAME with --base-url (any OpenAI-compatible server)",
        is_served,
        summarizer=load_served,
    ),
    ModelKind(
        "baseline",
        lambda: "lead-K, oracle",
        is_baseline,
        summarizer=lambda config: load_baseline(config.model.model, config.scoring.sentence_splitter),
    ),
    ModelKind(
        "built-in model",
        lambda: ", ".join(builtin.builtin_names()),
        builtin.is_builtin,
        _built(builtin.builtin_checkpoint),
    ),
    ModelKind(
        "benchmark shape",
        lambda: ", ".join(shapes.shape_names()),
        shapes.is_shape_model,
        _built(shapes.shape_checkpoint),
    ),
    ModelKind("checkpoint", lambda: "a hub id or a local checkpoint directory", lambda name: True, checkpoint_location),
)


def kind_of(name: str) -> ModelKind:
    """The kind of ``--model`` value ``name`` is."""
    return next(kind for kind in KINDS if kind.matches(name))


def model_help() -> str:
    """Every form ``--model`` takes, kind by kind, for the option's help."""
    return "; ".join(f"{kind.name}: {kind.forms()}" for kind in KINDS)


def load_checkpoint(settings: ModelSettings) -> LoadedModel:
    """Load the checkpoint ``settings.model`` names (a hub id, a directory, a built-in or a shape).

    Raises:
        LongsumError: it names a baseline, an unknown built-in, or a checkpoint that cannot be loaded.
    """
    kind = kind_of(settings.model)
    if kind.checkpoint is None:
        raise LongsumError(f"{settings.model!r} is a {kind.name}, not a checkpoint")
    return load_model(settings, kind.checkpoint(settings.model))


def load_summarizer(config: EvalConfig) -> Summarizer:
    """The summarizer ``config.model`` names, with the run's generation and batching settings: a baseline, or a
    seq2seq or causal summarizer as the checkpoint is one or the other (a causal one with ``config.prompting``).

    Raises:
        LongsumError: the model cannot be loaded, or the settings do not fit it.
    """
    kind = kind_of(config.model.model)
    if kind.summarizer is not None:
        return kind.summarizer(config)
    loaded = load_checkpoint(config.model)
    if loaded.kind == CAUSAL:
        return load_causal(loaded, config)
    return load_seq2seq(loaded, config.generation, config.batching)
