"""Dataset fingerprints: whether the documents a stored run read are still the ones on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

from longsum.config import DataSettings
from longsum.sources.documents import is_local

_CHUNK = 1 << 20


def _hash_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def dataset_fingerprint(settings: DataSettings) -> str | None:
    """SHA-256 of a local dataset's bytes (of a folder's .txt names and contents); ``None`` for a hub dataset.

    The whole file, not the records a ``--limit`` reads: a vanished id, a new id and a changed text
    each change it, whatever the limit. A hub dataset is pinned by its name and split instead.
    """
    if not is_local(settings.dataset):
        return None
    path = Path(settings.dataset).expanduser()
    digest = hashlib.sha256()
    if path.is_dir():
        for file in sorted(path.glob("*.txt")):
            digest.update(file.name.encode("utf-8") + b"\0")
            _hash_file(digest, file)
    elif path.is_file():
        _hash_file(digest, path)
    else:
        return None
    return digest.hexdigest()
