"""ONNX Runtime beside longsum on one LongT5 checkpoint: the same token ids, the same beam search, timed and compared.

Run it in longsum's venv, with ONNX Runtime in a venv of its own (optimum-onnx pins transformers<4.58, which cannot
read longsum's tokenizer configs, so this script tokenizes with longsum and hands ONNX Runtime token ids):

    python -m venv ort-venv
    ort-venv/bin/pip install torch==2.13.0 "optimum-onnx[onnxruntime]"
    python tools/ort_bench.py --ort-venv ort-venv --dataset ../shared/data/pubmed-sample.jsonl \
        --documents 8 --max-input-tokens 16384 --max-new-tokens 256 --json ort-bench.json

It exports the checkpoint once (``optimum-cli export onnx --task text2text-generation-with-past``, cached), times
``ORTModelForSeq2SeqLM.generate`` one document at a time in the ONNX Runtime venv with the generation settings
longsum puts in force, then times longsum's evaluation of the same documents as ``longsum bench`` does, and says
after how many tokens each ONNX Runtime summary leaves longsum's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: The first argument that runs this file as the ONNX Runtime half: ``WORKER REQUEST.json RESULT.json``.
WORKER = "ort-worker"
#: The environment variable naming the ONNX Runtime venv when ``--ort-venv`` is not given.
VENV_VARIABLE = "LONGSUM_ORT_VENV"
EXPORT_TASK = "text2text-generation-with-past"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The driver's arguments, checked; a bad value exits 2 with argparse's usage and ``error:`` lines."""
    parser = argparse.ArgumentParser(prog="ort_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="a JSON Lines file of articles, in any form eval reads")
    parser.add_argument(
        "--model", default="shape:base", help="a LongT5 (or other seq2seq) model longsum resolves to a local checkpoint"
    )
    parser.add_argument("--documents", type=int, default=8, help="time the first N articles (of the length window)")
    parser.add_argument("--min-tokens", type=int, default=0, help="skip shorter articles (model tokens)")
    parser.add_argument("--max-tokens", type=int, help="skip longer articles (model tokens)")
    parser.add_argument("--max-input-tokens", type=int, default=16384, help="truncate inputs to this many tokens")
    parser.add_argument("--num-beams", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument(
        "--ort-venv", type=Path, default=os.environ.get(VENV_VARIABLE), help=f"the ONNX Runtime venv (${VENV_VARIABLE})"
    )
    parser.add_argument("--export-dir", type=Path, help="where the ONNX export is kept (default: in longsum's cache)")
    parser.add_argument("--json", type=Path, help="write the figures, token ids and predictions here")
    args = parser.parse_args(argv)
    for name in ("documents", "num_beams", "max_new_tokens"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_input_tokens < 2:
        parser.error("--max-input-tokens must be at least 2")
    if args.max_tokens is not None and args.max_tokens < args.min_tokens:
        parser.error("--max-tokens must be at least --min-tokens")
    if args.ort_venv is None:
        parser.error(f"name the ONNX Runtime venv with --ort-venv or ${VENV_VARIABLE}")
    if not (args.ort_venv / "bin" / "python").exists():
        parser.error(f"{args.ort_venv} is not a venv (no bin/python)")
    return args


def in_window(length: int, min_tokens: int, max_tokens: int | None) -> bool:
    """Whether an article of ``length`` tokens is timed."""
    return length >= min_tokens and (max_tokens is None or length <= max_tokens)


def generate_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """``generate()`` keyword arguments from the settings longsum put in force: unset ones are left to the library,
    and ``max_length`` goes when ``max_new_tokens`` is set (which wins in ``generate()`` anyway)."""
    kwargs = {key: value for key, value in settings.items() if value is not None}
    if "max_new_tokens" in kwargs:
        kwargs.pop("max_length", None)
    return kwargs


def generated_ids(row: Sequence[int], eos_token_id: int | None, pad_token_id: int | None) -> list[int]:
    """The generated tokens of an output row: the decoder start dropped, kept up to and including the first end
    token, or without the trailing padding of a row that never ended."""
    ids = list(row[1:])
    if eos_token_id in ids:
        return ids[: ids.index(eos_token_id) + 1]
    while ids and ids[-1] == pad_token_id:
        ids.pop()
    return ids


def agreeing_tokens(ids: Sequence[int], reference: str, decode: Callable[[Sequence[int]], str]) -> int:
    """How many leading tokens of ``ids`` decode to a prefix of ``reference``.

    longsum keeps summaries as text, not ids; a summary decoded from the same ids is the same text, and one that
    leaves the reference at token k decodes, from k on, to text the reference does not continue with.
    """
    for count in range(1, len(ids) + 1):
        if not reference.startswith(decode(ids[:count])):
            return count - 1
    return len(ids)


def default_export_dir(checkpoint: Path, cache: Path) -> Path:
    """Where the export of ``checkpoint`` is kept: named for its folder and its full path."""
    digest = hashlib.sha256(str(checkpoint.resolve()).encode()).hexdigest()[:8]
    return cache / "ort" / f"{checkpoint.name}-{digest}"


def export_once(venv: Path, checkpoint: Path, dest: Path) -> float | None:
    """Export ``checkpoint`` to ONNX at ``dest`` unless it is there; the seconds it took, ``None`` when cached."""
    if dest.exists():
        return None
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    command = [str(venv / "bin" / "optimum-cli"), "export", "onnx", "--model", str(checkpoint)]
    subprocess.run([*command, "--task", EXPORT_TASK, str(staging)], check=True)
    # Renamed when whole, so an interrupted export is redone rather than reused.
    staging.rename(dest)
    return time.perf_counter() - start


def ort_worker(request_path: Path, result_path: Path) -> None:
    """The ONNX Runtime half, run in its venv: generate for each document of the request, one at a time."""
    from importlib.metadata import version

    import torch
    from optimum.onnxruntime import ORTModelForSeq2SeqLM

    request = json.loads(request_path.read_text())
    start = time.perf_counter()
    model = ORTModelForSeq2SeqLM.from_pretrained(request["export_dir"])
    load_seconds = time.perf_counter() - start
    kwargs = request["generate_kwargs"]
    documents = []
    for document in request["documents"]:
        input_ids = torch.tensor([document["input_ids"]])
        wall, cpu = time.perf_counter(), time.process_time()
        out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ids = generated_ids(out[0].tolist(), kwargs.get("eos_token_id"), kwargs.get("pad_token_id"))
        documents.append({"id": document["id"], "seconds": wall, "cpu_seconds": cpu, "ids": ids})
    result = {
        "documents": documents,
        "load_seconds": load_seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "versions": {name: version(name) for name in ("onnxruntime", "optimum-onnx", "transformers", "torch")},
        "providers": model.providers,
    }
    result_path.write_text(json.dumps(result))


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as lines for the terminal: one per document, then the totals."""
    lines = ["id  input_tokens  ort_s  ort_cpu_s  agreeing/ort_tokens  identical"]
    for doc in report["documents"]:
        lines.append(
            f"{doc['id']}  {doc['input_tokens']}  {doc['ort_seconds']:.1f}  {doc['ort_cpu_seconds']:.1f}  "
            f"{doc['agreeing_tokens']}/{len(doc['ort_ids'])}  {doc['identical']}"
        )
    ort, longsum = report["ort"], report["longsum"]
    lines.append(f"ONNX Runtime: {ort['seconds']:.1f} s ({ort['cpu_seconds']:.1f} CPU s)")
    lines.append(f"longsum: {longsum['seconds']:.1f} s ({longsum['cpu_seconds']:.1f} CPU s)")
    lines.append(
        f"longsum over ONNX Runtime: {report['speedup']:.2f}x wall, {report['cpu_speedup']:.2f}x CPU; "
        f"identical summaries: {report['identical']} of {len(report['documents'])}"
    )
    return lines


def longsum_config(args: argparse.Namespace) -> Any:
    """The ``EvalConfig`` of ``longsum bench --model MODEL --dataset DATASET --max-input-tokens N --max-new-tokens N
    --num-beams N`` (fp32 on the CPU, as ONNX Runtime runs)."""
    from longsum.config import BatchSettings, DataSettings, EvalConfig, GenerationSettings, ModelSettings, ScoreSettings

    return EvalConfig(
        model=ModelSettings(model=args.model, dtype="fp32", device="cpu"),
        data=DataSettings(dataset=args.dataset),
        generation=GenerationSettings(max_new_tokens=args.max_new_tokens, num_beams=args.num_beams),
        batching=BatchSettings(max_input_tokens=args.max_input_tokens),
        scoring=ScoreSettings(bootstrap_samples=100, seed=0),
    )


def ort_settings(generation_config: Any) -> dict[str, Any]:
    """The ``generate()`` keyword arguments that give ONNX Runtime the beam search longsum runs: the settings that
    change a summary, and the start, end and pad ids."""
    from longsum.engine.generation_config import recorded_settings

    ids = ("decoder_start_token_id", "eos_token_id", "pad_token_id")
    return generate_kwargs(recorded_settings(generation_config) | {key: getattr(generation_config, key) for key in ids})


def select_documents(args: argparse.Namespace, config: Any, summarizer: Any) -> tuple[list[Any], list[dict[str, Any]]]:
    """The first ``--documents`` articles in the length window: longsum's documents, and their ids as longsum
    truncates them for the model."""
    from dataclasses import replace

    from longsum.sources.documents import iter_documents

    documents: list[Any] = []
    inputs: list[dict[str, Any]] = []
    for document in iter_documents(config.data):
        ids, length = summarizer.encode(document.text)
        if in_window(length, args.min_tokens, args.max_tokens):
            documents.append(replace(document, index=len(documents)))
            inputs.append({"id": document.id, "input_ids": ids})
            if len(documents) == args.documents:
                break
    return documents, inputs


def time_ort(venv: Path, export_dir: Path, kwargs: dict[str, Any], inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the ONNX Runtime half in ``venv`` on ``inputs``; its result."""
    with tempfile.TemporaryDirectory() as scratch:
        request, result = Path(scratch) / "request.json", Path(scratch) / "result.json"
        request.write_text(json.dumps({"export_dir": str(export_dir), "generate_kwargs": kwargs, "documents": inputs}))
        subprocess.run([str(venv / "bin" / "python"), __file__, WORKER, str(request), str(result)], check=True)
        return dict(json.loads(result.read_text()))


def compare(
    inputs: list[dict[str, Any]], ort: list[dict[str, Any]], predictions: dict[str, str], decode: Callable[..., str]
) -> list[dict[str, Any]]:
    """Per document: ONNX Runtime's time, ids and summary beside longsum's summary, and where they part."""
    rows = []
    for given, done in zip(inputs, ort, strict=True):
        text, reference = decode(done["ids"]), predictions[given["id"]]
        rows.append(
            {
                "id": given["id"],
                "input_tokens": len(given["input_ids"]),
                "ort_seconds": done["seconds"],
                "ort_cpu_seconds": done["cpu_seconds"],
                "ort_ids": done["ids"],
                "ort_prediction": text,
                "longsum_prediction": reference,
                "identical": text == reference,
                "agreeing_tokens": agreeing_tokens(done["ids"], reference, decode),
            }
        )
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Tokenize and settle the generation settings with longsum, time ONNX Runtime, time longsum, compare."""
    from longsum.benchmarks.checks import predictions_digest
    from longsum.engine.memory import peak_memory_bytes
    from longsum.errors import LongsumError
    from longsum.runs.evaluation import evaluate_in_memory
    from longsum.summarizers.builtin import cache_root
    from longsum.summarizers.resolver import kind_of, load_summarizer
    from longsum.summarizers.seq2seq import Seq2SeqSummarizer

    config = longsum_config(args)
    kind = kind_of(args.model)
    checkpoint = kind.checkpoint(args.model) if kind.checkpoint else None
    if checkpoint is None or not checkpoint.local:
        raise LongsumError(f"{args.model} is no local checkpoint for ONNX Runtime to export")
    summarizer = load_summarizer(config)
    if not isinstance(summarizer, Seq2SeqSummarizer):
        raise LongsumError(f"{args.model} is not a seq2seq model")
    documents, inputs = select_documents(args, config, summarizer)
    kwargs = ort_settings(summarizer.generation_config)
    export_dir = args.export_dir or default_export_dir(Path(checkpoint.location), cache_root())
    export_seconds = export_once(args.ort_venv, Path(checkpoint.location), export_dir)
    ort = time_ort(args.ort_venv, export_dir, kwargs, inputs)
    cpu = time.process_time()
    evaluation, records = evaluate_in_memory(config, documents, summarizer=summarizer)
    cpu = time.process_time() - cpu
    predictions = {record.id: record.prediction for record in records}
    tokenizer = summarizer.loaded.tokenizer
    rows = compare(inputs, ort["documents"], predictions, lambda ids: tokenizer.decode(ids, skip_special_tokens=True))
    ort_seconds = sum(row["ort_seconds"] for row in rows)
    ort_cpu = sum(row["ort_cpu_seconds"] for row in rows)
    return {
        "settings": vars(args) | {"checkpoint": checkpoint.location, "export_dir": export_dir, "generate": kwargs},
        "documents": rows,
        "ort": {
            "seconds": ort_seconds,
            "cpu_seconds": ort_cpu,
            "export_seconds": export_seconds,
            **{key: ort[key] for key in ("load_seconds", "peak_rss_bytes", "versions", "providers")},
        },
        "longsum": {
            "seconds": evaluation.seconds,
            "cpu_seconds": cpu,
            "time_breakdown": evaluation.time_breakdown,
            "peak_rss_bytes": peak_memory_bytes("cpu")[0],
            "fast_paths": evaluation.fast_paths,
            "predictions_sha256": predictions_digest([row["longsum_prediction"] for row in rows]),
        },
        "speedup": ort_seconds / evaluation.seconds,
        "cpu_speedup": ort_cpu / cpu,
        "identical": sum(row["identical"] for row in rows),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """The ONNX Runtime half when called as the worker, else the driver: run, print, write the JSON."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == [WORKER]:
        ort_worker(Path(argv[1]), Path(argv[2]))
        return
    args = parse_args(argv)
    from longsum.errors import LongsumError

    try:
        report = run(args)
    except (LongsumError, subprocess.CalledProcessError) as error:
        sys.exit(f"error: {error}")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print("\n".join(report_lines(report)))


if __name__ == "__main__":
    main()
