"""Provenance: library versions, device, git revision and date, recorded beside every number."""

from __future__ import annotations

import datetime
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("longsum", "torch", "transformers", "datasets", "tokenizers", "rouge-score", "nltk", "numpy", "evaluate")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that can change a result (``missing`` when absent)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def git_revision() -> str | None:
    """The commit of the longsum source tree when it runs from a git checkout, with ``+dirty`` if modified."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def device_name(device: str) -> str:
    """A human name for ``device``: the GPU model on CUDA, the processor otherwise."""
    if device.startswith("cuda"):
        import torch

        return str(torch.cuda.get_device_name(device))
    return platform.processor() or platform.machine()


def environment(device: str) -> dict[str, Any]:
    """Everything about the machine and software a result depends on."""
    return {
        "versions": library_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "device_name": device_name(device),
        "git": git_revision(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
