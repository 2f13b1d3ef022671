"""Hugging Face ``evaluate`` metric modules beside ROUGE: resolved, fingerprinted, loaded and computed.

A metric is named as ``evaluate.load`` takes it: a hub id (``bertscore``, ``user/metric``), or a local
module, a ``.py`` file or a folder holding ``FOLDER_NAME.py``; or ``builtin:NAME`` for a module longsum ships
(``builtin:bertscore``, ``builtin:rouge``). A local module's content hash goes into the signature, since the same
name can hold other code tomorrow. Options for its ``compute`` follow a ``?`` as a query string
(``builtin:bertscore?model=PATH&num_layers=4``); they go into the signature too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from longsum.errors import LongsumError

#: longsum's own ROUGE as an ``evaluate`` module: ``evaluate.load(longsum.ROUGE_MODULE)`` works offline.
SHIPPED = Path(__file__).resolve().parent / "evaluate_module"
ROUGE_MODULE = str(SHIPPED / "longsum_rouge.py")
#: ``--metric builtin:NAME`` names the module longsum ships as ``evaluate_module/longsum_NAME.py``.
BUILTIN = "builtin:"


@dataclass(frozen=True)
class MetricSpec:
    """One ``--metric``: what the user gave, the name its results are stored under, and where it comes from.

    Attributes:
        given: the hub id or path as typed.
        name: the key of its results in metrics.json (the module's file or folder name, or the hub id).
        path: the local module, or ``None`` for a hub id.
        content_hash: sha256 (first 12 hex digits) of a local module's files; ``None`` for a hub id.
    """

    given: str
    name: str
    path: str | None
    content_hash: str | None
    #: Keyword arguments for ``compute``, from the query string after ``?``.
    options: tuple[tuple[str, str], ...] = ()

    def signature_id(self) -> str:
        """How the signature names it: the name, plus the content hash of a local module and the options."""
        named = f"{self.name}#{self.content_hash}" if self.content_hash else self.name
        return f"{named}?{urlencode(self.options)}" if self.options else named


def _looks_like_path(given: str) -> bool:
    return (
        given.endswith(".py")
        or given.startswith((".", "/", "~"))
        or given.count("/") > 1
        or os.sep in given.replace("/", "")
    )


def _content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    files = (
        [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    )
    for file in files:
        digest.update(str(file.relative_to(path if path.is_dir() else path.parent)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def metric_spec(given: str) -> MetricSpec:
    """Resolve one ``--metric`` value.

    Raises:
        LongsumError: it names a local path that does not exist, a folder without its script, or no shipped module.
    """
    base, _, query = given.partition("?")
    options = tuple(parse_qsl(query, keep_blank_values=True))
    if base.startswith(BUILTIN):
        name = base[len(BUILTIN) :]
        shipped = sorted(p.stem.removeprefix("longsum_") for p in SHIPPED.glob("longsum_*.py"))
        if name not in shipped:
            raise LongsumError(f"--metric {given}: no such built-in metric; longsum ships {', '.join(shipped)}")
        script = SHIPPED / f"longsum_{name}.py"
        return MetricSpec(given, script.stem, str(script), _content_hash(script), options)
    path = Path(base).expanduser()
    if path.exists():
        script = path if path.is_file() else path / f"{path.name}.py"
        if not script.is_file() or script.suffix != ".py":
            raise LongsumError(f"--metric {given}: a metric module is a .py file or a folder holding {path.name}.py")
        return MetricSpec(given, script.stem, str(path), _content_hash(path), options)
    if _looks_like_path(base):
        raise LongsumError(f"--metric {given}: no such metric module file or folder")
    return MetricSpec(given, base, None, None, options)


def load_metric(spec: MetricSpec) -> Any:
    """The ``evaluate`` module ``spec`` names, ready to compute.

    Raises:
        LongsumError: it cannot be found, fetched or imported.
    """
    import evaluate

    try:
        # In memory: a run's metric leaves no arrow cache files behind.
        return evaluate.load(spec.path or spec.name, keep_in_memory=True)
    except Exception as err:  # evaluate raises anything a module's import or a download can raise
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise LongsumError(f"--metric {spec.given} could not be loaded: {first}") from None


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made JSON-ready (lists, floats, ints)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):
        return plain(value.tolist())
    return value


def compute_metric(
    module: Any,
    predictions: list[str],
    references: list[str],
    sources: list[str] | None = None,
    options: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """The results of ``module`` on the pairs (and their source documents, for a module that takes ``sources``),
    with the ``--metric`` options as keyword arguments, JSON-ready; whatever it raises propagates."""
    given: dict[str, Any] = {**dict(options), **({"sources": sources} if sources is not None else {})}
    results = module.compute(predictions=predictions, references=references, **given)
    if not isinstance(results, dict):
        raise TypeError(f"compute() returned {type(results).__name__}, not a dict")
    return plain(results)
