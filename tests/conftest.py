"""Shared fixtures: tiny checkpoints built offline once per session, and the data files tests read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pubmed-style.jsonl"
PUBMED_SAMPLE = ROOT.parent / "shared" / "data" / "pubmed-sample.jsonl"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Built-in models are cached per test session, never in the user's home.
    os.environ["LONGSUM_CACHE"] = str(tmp_path_factory.mktemp("longsum-cache"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _build(tmp_path_factory: pytest.TempPathFactory, attention: str) -> Path:
    from longsum.engine.builtin_models import TinySpec, build_tiny_longt5

    return build_tiny_longt5(tmp_path_factory.mktemp(f"tiny-{attention}"), TinySpec(attention=attention))


@pytest.fixture(scope="session")
def tiny_tglobal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random LongT5 with transient-global attention, saved with save_pretrained."""
    return _build(tmp_path_factory, "transient-global")


@pytest.fixture(scope="session")
def tiny_local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random LongT5 with local attention, saved with save_pretrained."""
    return _build(tmp_path_factory, "local")


@pytest.fixture(scope="session", params=["transient-global", "local"])
def tiny_model(request: pytest.FixtureRequest) -> Path:
    """Each tiny checkpoint in turn."""
    return request.getfixturevalue("tiny_tglobal" if request.param == "transient-global" else "tiny_local")


#: The families with a tiny builder besides LongT5 (see longsum/engine/families).
OTHER_FAMILIES = ["led", "bart", "pegasus-x", "bigbird-pegasus"]


@pytest.fixture(scope="session", params=OTHER_FAMILIES)
def tiny_family(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(family name, checkpoint) of each other family's tiny random model, saved with save_pretrained."""
    from longsum.engine.builtin_models import build_tiny_family

    return request.param, build_tiny_family(tmp_path_factory.mktemp(f"tiny-{request.param}"), request.param)


@pytest.fixture
def examples() -> Path:
    """The PubMed-style documents the project ships."""
    return EXAMPLES


@pytest.fixture
def pubmed_sample() -> Path:
    """The shared sample of real PubMed articles; skips when ../shared is absent."""
    if not PUBMED_SAMPLE.exists():
        pytest.skip("../shared/data/pubmed-sample.jsonl is not here")
    return PUBMED_SAMPLE
