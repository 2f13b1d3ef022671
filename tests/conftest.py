"""Shared fixtures: tiny checkpoints built offline once per session, the data files tests read, and two eval runs
of the examples for score and compare."""

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
    # evaluate copies metric modules into, and keeps its files under, these: per session, never the user's.
    for name in ("HF_MODULES_CACHE", "HF_EVALUATE_CACHE", "HF_METRICS_CACHE"):
        os.environ[name] = str(tmp_path_factory.mktemp(name.lower()))


def _build(tmp_path_factory: pytest.TempPathFactory, attention: str) -> Path:
    from longsum.summarizers.builtin import TinySpec, build_tiny_longt5

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
OTHER_FAMILIES = ["led", "bart", "pegasus", "pegasus-x", "bigbird-pegasus"]


@pytest.fixture(scope="session", params=OTHER_FAMILIES)
def tiny_family(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(family name, checkpoint) of each other family's tiny random model, saved with save_pretrained."""
    from longsum.summarizers.builtin import build_tiny_family

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


def _native_bf16() -> bool:
    from longsum.engine.loading import cpu_has_native_bf16

    return cpu_has_native_bf16()


#: Marks a test that runs a model in bf16 on the CPU: it needs a CPU that computes bf16 natively.
NATIVE_BF16 = pytest.mark.skipif(not _native_bf16(), reason="this CPU has no native bf16 (AVX512-BF16 or AMX flags)")


#: Flags that make the built-in random LongT5 quick enough for end-to-end runs through the CLI.
FAST = ["--model", "builtin:tglobal", "--max-length", "12", "--max-input-tokens", "256"]


@pytest.fixture
def two_runs(examples: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two eval run directories of the shipped examples (``FAST``, one beam and two), for score and compare."""
    from typer.testing import CliRunner

    from longsum.cli import app

    for name, beams in (("a", "1"), ("b", "2")):
        result = CliRunner().invoke(
            app,
            [
                "eval",
                *FAST,
                "--dataset",
                str(examples),
                "--num-beams",
                beams,
                "--bootstrap-samples",
                "200",
                "--output-dir",
                str(tmp_path / name),
            ],
        )
        assert result.exit_code == 0, result.output
    return tmp_path / "a", tmp_path / "b"


#: An ``evaluate`` metric module written by the tests: the share of reference words found in the prediction.
WORD_OVERLAP = """\"\"\"Word overlap: the share of reference words that occur in the prediction.\"\"\"
import datasets
import evaluate


class WordOverlap(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="word overlap", citation="", inputs_description="predictions, references",
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        shares = []
        for p, r in zip(predictions, references):
            words = r.split()
            shares.append(sum(w in set(p.split()) for w in words) / max(1, len(words)))
        return {"overlap": sum(shares) / max(1, len(shares)), "per_document": shares}
"""


@pytest.fixture
def metric_module(tmp_path: Path) -> Path:
    """A local ``evaluate`` metric module, as a folder holding word_overlap/word_overlap.py."""
    folder = tmp_path / "word_overlap"
    folder.mkdir()
    (folder / "word_overlap.py").write_text(WORD_OVERLAP, encoding="utf-8")
    return folder


@pytest.fixture
def failing_metric_module(tmp_path: Path) -> Path:
    """A metric module that loads but raises when it computes."""
    path = tmp_path / "fails_to_compute.py"
    path.write_text(
        WORD_OVERLAP.replace("        shares = []", "        raise RuntimeError('no GPU for this metric')"),
        encoding="utf-8",
    )
    return path


#: The tiny causal LMs the tests build: family, and the token that ends a turn (made likely, see ``_end_likely``).
CAUSAL_FAMILIES = {"llama": "<|eot_id|>", "qwen2": "<|im_end|>", "mistral": "</s>"}


def staggered_texts(count: int = 6) -> list[str]:
    """The shipped examples cut to their heading and 1, 2, 3, 5, 8 and 13 sentences: prompts of different lengths."""
    from longsum.config import DataSettings
    from longsum.metrics.sentences import split_punkt
    from longsum.sources.documents import iter_documents

    docs = list(iter_documents(DataSettings(dataset=str(EXAMPLES), limit=count)))
    return [" ".join(split_punkt(d.text)[: 1 + k]) for d, k in zip(docs, (1, 2, 3, 5, 8, 13), strict=False)]


def staggered_dataset(folder: Path) -> Path:
    """``staggered_texts()`` as a JSON Lines dataset in ``folder``, each with a placeholder reference."""
    import json

    path = folder / "docs.jsonl"
    rows = [{"id": f"d{i}", "article": text, "abstract": "a summary."} for i, text in enumerate(staggered_texts())]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


#: New tokens the causal fidelity tests generate.
CAUSAL_NEW_TOKENS = 16


def _ends(model, prompts, end: int, num_beams: int) -> list[int | None]:
    """The step at which each prompt's summary ends with ``end`` (``None``: it runs to the limit)."""
    import torch

    steps = []
    for ids in prompts:
        with torch.inference_mode():
            out = model.generate(
                torch.tensor([ids]),
                max_new_tokens=CAUSAL_NEW_TOKENS,
                num_beams=num_beams,
                do_sample=False,
                eos_token_id=end,
                pad_token_id=end,
            )
        new = out[0, len(ids) :].tolist()
        steps.append(new.index(end) + 1 if end in new else None)
    return steps


def _end_likely(end_token: str):
    """Make a random causal LM end its turn now and then: the end token's output row becomes a scaled copy of the
    row of a token the model writes in about half of the staggered documents' summaries, chosen so that with greedy
    search and with 2 beams summaries end at two steps or more and some run to the length limit."""

    def adjust(model, tokenizer):
        from collections import Counter

        import torch

        from longsum.sources.presets import DEFAULT_PROMPT

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            prompts = [
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": DEFAULT_PROMPT.template.replace("{document}", text)}],
                    add_generation_prompt=True,
                    return_dict=True,
                )["input_ids"]
                for text in staggered_texts()
            ]
            seen: Counter[int] = Counter()
            for ids in prompts:
                with torch.inference_mode():
                    out = model.generate(torch.tensor([ids]), max_new_tokens=CAUSAL_NEW_TOKENS, do_sample=False)
                seen.update(set(out[0, len(ids) :].tolist()))
            end = tokenizer.convert_tokens_to_ids(end_token)
            head = model.get_output_embeddings().weight
            for token in sorted(seen, key=lambda t: (abs(seen[t] - len(prompts) / 2), t)):
                for scale in (1.05, 1.2):
                    with torch.no_grad():
                        head[end] = head[token] * scale
                    steps = [_ends(model, prompts, end, beams) for beams in (1, 2)]
                    if all(None in s and len({e for e in s if e}) >= 2 for s in steps):
                        return
            raise RuntimeError("no token makes the end token end summaries at different steps")
        finally:
            torch.set_num_threads(threads)

    return adjust


@pytest.fixture(scope="session", params=list(CAUSAL_FAMILIES))
def tiny_causal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(family, checkpoint) of a tiny random Llama 3, Qwen2 and Mistral with chat templates, saved with
    save_pretrained, whose turn-end token is likely enough that summaries end at different steps."""
    from longsum.summarizers.builtin import corpus_path
    from longsum.summarizers.causal_builtin import CAUSAL_BUILTINS, build_tiny_causal

    family = request.param
    spec = CAUSAL_BUILTINS[f"builtin:{family}"]
    folder = tmp_path_factory.mktemp(f"tiny-causal-{family}")
    return family, build_tiny_causal(folder, spec, corpus_path(), _end_likely(CAUSAL_FAMILIES[family]))
