"""The causal summarizer against the plain recipe (each prompt alone, unpadded, ``model.generate``) on tiny random
Llama 3, Qwen2 and Mistral checkpoints with chat templates; prompts, truncation, stop strings, reasoning traces."""

import json
import re
from dataclasses import replace

import pytest
from conftest import CAUSAL_NEW_TOKENS, EXAMPLES, NATIVE_BF16, staggered_dataset, staggered_texts

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    PromptSettings,
    ScoreSettings,
)
from longsum.engine.batching import Batch, Item
from longsum.errors import LongsumError
from longsum.results.signature import parse_signature
from longsum.runs.evaluation import evaluate, evaluate_in_memory
from longsum.sources.documents import Document
from longsum.sources.presets import DEFAULT_PROMPT
from longsum.summarizers.causal import CausalSummarizer
from longsum.summarizers.resolver import load_summarizer

NEW_TOKENS = CAUSAL_NEW_TOKENS


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models spend their time in per-operation overhead, which a second thread only adds to on a shared
    machine; the recipe and longsum run under the same setting, so identity means the same."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def recipe(model_dir, texts, max_new_tokens, num_beams, template=DEFAULT_PROMPT.template, dtype="float32", **generate):
    """The plain recipe: the chat template applied to each prompt, each generated alone and unpadded, with the model
    loaded in ``dtype`` (a ``torch`` dtype name)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).eval()
    extra = {"tokenizer": tokenizer} if "stop_strings" in generate else {}
    predictions = []
    for text in texts:
        messages = [{"role": "user", "content": template.replace("{document}", text)}]
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(
                ids["input_ids"],
                max_new_tokens=max_new_tokens,
                num_beams=num_beams,
                do_sample=False,
                **generate,
                **extra,
            )
        predictions.append(tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True))
    return predictions


@pytest.fixture(scope="module")
def staggered(tmp_path_factory):
    return staggered_dataset(tmp_path_factory.mktemp("causal-staggered"))


def causal_config(model, dataset, num_beams=1, prompting=None, new_tokens=NEW_TOKENS, **batching):
    return EvalConfig(
        model=ModelSettings(model=str(model)),
        data=DataSettings(dataset=str(dataset)),
        generation=GenerationSettings(max_length=None, max_new_tokens=new_tokens, num_beams=num_beams),
        batching=BatchSettings(**batching),
        scoring=ScoreSettings(bootstrap_samples=10),
        prompting=prompting or PromptSettings(),
    )


@pytest.mark.parametrize("num_beams", [1, 2])
def test_predictions_equal_the_plain_recipe_in_batches_whose_prompts_end_at_different_steps(
    tiny_causal, staggered, num_beams
):
    family, model = tiny_causal
    expected = recipe(model, staggered_texts(), NEW_TOKENS, num_beams)
    assert len(set(expected)) == len(expected), "summaries must differ across documents for this test to mean anything"
    # Batches of two, planned longest first: prompts of different lengths side by side.
    result, records = evaluate_in_memory(causal_config(model, staggered, num_beams, batch_size=2))
    assert [r.prediction for r in records] == expected
    assert result.summarizer.kind == "causal" and result.summarizer.family == family
    ended = [r.generated_tokens for r in records if r.ended_with_eos]
    assert len(set(ended)) >= 2, "summaries end at different steps"
    assert any(not r.ended_with_eos and r.generated_tokens == NEW_TOKENS for r in records), "and some at the limit"
    assert result.stats.runner.generated_tokens == sum(r.generated_tokens for r in records)


@NATIVE_BF16
@pytest.mark.parametrize("num_beams", [1, 2])
def test_in_bf16_predictions_equal_the_plain_recipe_in_bf16(tiny_causal, staggered, num_beams):
    family, model = tiny_causal
    expected = recipe(model, staggered_texts(), NEW_TOKENS, num_beams, dtype="bfloat16")
    assert len(set(expected)) == len(expected), "summaries must differ across documents for this test to mean anything"
    config = causal_config(model, staggered, num_beams, batch_size=2)
    result, records = evaluate_in_memory(replace(config, model=replace(config.model, dtype="bf16")))
    assert [r.prediction for r in records] == expected
    assert result.summarizer.dtype == "bf16" and result.summarizer.family == family


def test_llama3_ends_at_eot_which_its_tokenizer_eos_alone_would_run_past(tiny_causal, staggered):
    family, model = tiny_causal
    if family != "llama":
        pytest.skip("Llama 3's two end ids")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    eot = tokenizer.convert_tokens_to_ids("<|eot_id|>")
    summarizer = load_summarizer(causal_config(model, staggered))
    assert eot in summarizer.describe().generation["eos_token_id"] != [tokenizer.eos_token_id]
    _result, records = evaluate_in_memory(causal_config(model, staggered), summarizer=summarizer)
    ended = [i for i, r in enumerate(records) if r.ended_with_eos]
    assert ended
    texts = [staggered_texts()[i] for i in ended]
    tokenizer_eos_only = recipe(model, texts, NEW_TOKENS, 1, eos_token_id=tokenizer.eos_token_id)
    assert all(len(a) > len(records[i].prediction) for a, i in zip(tokenizer_eos_only, ended, strict=True))


def test_a_stop_string_ends_the_summary_where_it_first_appears_and_the_raw_output_is_kept(tiny_causal, staggered):
    _family, model = tiny_causal
    texts = staggered_texts()
    free = recipe(model, texts, NEW_TOKENS, 1)
    # Three letters of the longest free summary's second half: generation stops mid-summary.
    longest = max(free, key=len)
    stop = re.search(r"[a-z]{3}", longest[len(longest) // 2 :]).group()
    _result, records = evaluate_in_memory(causal_config(model, staggered, prompting=PromptSettings(stop=(stop,))))
    stopped = recipe(model, texts, NEW_TOKENS, 1, stop_strings=[stop])
    assert [r.prediction for r in records] == [text.split(stop)[0] for text in stopped]
    cut = [r for r in records if r.raw_prediction is not None]
    assert cut and all(stop in r.raw_prediction and stop not in r.prediction and r.ended_with_eos for r in cut)
    assert all(r.raw_prediction.startswith(r.prediction) for r in cut)


def words(text):
    """``text`` with its whitespace made single spaces: SentencePiece normalizes it when it tokenizes."""
    return " ".join(text.split())


def full_prompt_lengths(model, texts, template=DEFAULT_PROMPT.template):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    return [
        len(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": template.replace("{document}", text)}],
                add_generation_prompt=True,
                return_dict=True,
            )["input_ids"]
        )
        for text in texts
    ]


def test_truncation_cuts_only_the_document_so_the_instruction_survives_in_both_modes(tiny_causal):
    _family, model = tiny_causal
    texts = [json.loads(line)["article"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    template = "Read this report.\n\n{document}\n\nNow summarize the report."
    budget = 600 - NEW_TOKENS
    for mode in ("end", "middle"):
        prompting = PromptSettings(prompt=template, truncation=mode)
        summarizer = load_summarizer(causal_config(model, EXAMPLES, prompting=prompting, max_input_tokens=600))
        assert isinstance(summarizer, CausalSummarizer)
        tokenizer = summarizer.loaded.tokenizer
        for text, full in zip(texts, full_prompt_lengths(model, texts, template), strict=True):
            ids, source_tokens = summarizer.encode(text)
            prompt = words(tokenizer.decode(ids, skip_special_tokens=True))
            assert prompt.count("Read this report.") == 1 and prompt.count("Now summarize the report.") == 1
            assert budget - 8 <= len(ids) <= budget, "the room is used, and not more"
            # A long document's prompt is counted in two parts: near its whole prompt's length.
            assert source_tokens == full == len(ids) or (source_tokens > budget and abs(source_tokens - full) <= 4)
            first, last = words(text).split(" ")[:6], words(text).split(" ")[-6:]
            assert " ".join(first) in prompt
            assert (" ".join(last) in prompt) == (mode == "middle")
            assert prompt.index("Read this report.") < prompt.index(first[0]) < prompt.index("Now summarize")
        short = staggered_texts()[0]
        ids, source_tokens = summarizer.encode(short)
        assert source_tokens == len(ids) and words(short) in words(tokenizer.decode(ids, skip_special_tokens=True))


def test_documents_are_truncated_exactly_when_their_whole_prompt_does_not_fit_and_counted(tiny_causal):
    _family, model = tiny_causal
    texts = [json.loads(line)["article"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    full = full_prompt_lengths(model, texts)
    limit = sorted(full)[3] + 4  # the four shortest fit with 4 new tokens, the others do not
    result, records = evaluate_in_memory(causal_config(model, EXAMPLES, max_input_tokens=limit, new_tokens=4))
    assert [r.truncated for r in records] == [n > limit - 4 for n in full]
    assert result.counts.truncated == 4 and all(r.input_tokens <= limit - 4 for r in records)
    assert [r.input_tokens for r in records if not r.truncated] == [n for n in full if n <= limit - 4]


def test_a_prompt_without_its_placeholder_or_longer_than_the_limit_is_one_line(tiny_causal):
    _family, model = tiny_causal
    with pytest.raises(LongsumError, match=r"no \{document\} placeholder") as caught:
        PromptSettings(prompt="Summarize the article.")
    assert "\n" not in str(caught.value)
    long_prompt = PromptSettings(prompt="Summarize this report carefully. " * 40 + "{document}")
    with pytest.raises(
        LongsumError, match=r"the prompt is \d+ tokens without its document, more than the 84"
    ) as caught:
        load_summarizer(causal_config(model, EXAMPLES, prompting=long_prompt, max_input_tokens=100))
    assert "\n" not in str(caught.value)


def test_a_chat_template_is_required_with_on_and_left_out_with_off(tiny_causal, tmp_path):
    _family, model = tiny_causal
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    plain = load_summarizer(causal_config(model, EXAMPLES, prompting=PromptSettings(chat_template="off")))
    ids, _ = plain.encode("a short document.")
    assert ids == tokenizer(DEFAULT_PROMPT.template.replace("{document}", "a short document.")).input_ids
    assert plain.describe().prompt.chat_template is None and not plain.warnings
    chat = load_summarizer(causal_config(model, EXAMPLES, prompting=PromptSettings(system_prompt="Be brief.")))
    ids, _ = chat.encode("a short document.")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": DEFAULT_PROMPT.template.replace("{document}", "a short document.")},
    ]
    assert ids == tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert "Be brief." in tokenizer.decode(ids)
    assert chat.describe().prompt.chat_template is not None
    # The same checkpoint without its chat template.
    tokenizer.chat_template = None
    (tmp_path / "m").mkdir()
    for file in model.iterdir():
        if file.name != "chat_template.jinja":
            (tmp_path / "m" / file.name).write_bytes(file.read_bytes())
    tokenizer.save_pretrained(tmp_path / "m")
    with pytest.raises(LongsumError, match="has no chat template; use auto or off"):
        load_summarizer(causal_config(tmp_path / "m", EXAMPLES, prompting=PromptSettings(chat_template="on")))
    auto = load_summarizer(causal_config(tmp_path / "m", EXAMPLES))
    assert any("no chat template" in w for w in auto.warnings)


def test_a_reasoning_trace_is_taken_off_the_prediction_and_the_raw_output_kept(tiny_causal, monkeypatch):
    import torch

    import longsum.summarizers.causal as causal
    from longsum.engine.causal_decoding import decode_output

    _family, model = tiny_causal
    summarizer = load_summarizer(causal_config(model, EXAMPLES))
    tokenizer, config = summarizer.loaded.tokenizer, summarizer.generation_config
    ids = torch.tensor(tokenizer("<think>the report is about iron.</think> iron uptake is regulated.").input_ids)
    ids = ids[ids != tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else ids
    raw = tokenizer.decode(ids, skip_special_tokens=True)
    decoded = decode_output(ids, tokenizer, config, ())
    assert decoded.prediction == "iron uptake is regulated." and decoded.raw == raw and not decoded.ended
    monkeypatch.setattr(causal, "generate_alone", lambda *args: ids)
    item = Item(Document("x", "iron.", "iron uptake.", None), [5, 6, 7], 3)
    (output,) = summarizer.generate(Batch((item,)))
    assert output.text == "iron uptake is regulated." and output.raw == raw and output.tokens == len(ids)


def test_the_pipeline_writes_predictions_and_metrics_that_name_the_prompt(tmp_path):
    config = causal_config("builtin:llama", EXAMPLES, new_tokens=8, max_input_tokens=1024)
    evaluate(config, output_dir=tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    records = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert metrics["documents"] == len(records) == 8 and metrics["truncated"] >= 1
    signature = parse_signature(metrics["signature"])
    prompt = metrics["model"]["prompt"]
    assert signature["kind"] == "causal" and signature["prompt"] == prompt["template_sha256"]
    assert signature["chat"] == prompt["chat_template_sha256"] and signature["trunc"] == "end"
    assert signature["maxnew"] == "8" and signature["in"] == "1024" and signature["stop"] == "none"
    assert prompt["template"] == DEFAULT_PROMPT.template and prompt["source"] == "longsum"
    assert metrics["config"]["prompting"]["chat_template"] == "auto"
    assert metrics["model"]["generation"]["eos_token_id"] == [1, 4]
    assert len({r["prediction"] for r in records}) == 8, "summaries differ across documents"
    assert all("raw_prediction" not in r for r in records)
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert run["resume_key"]["prompt"]["template_sha256"] == prompt["template_sha256"]
    assert run["config"]["prompting"]["truncation"] == "end"
    # Another prompt changes the predictions: the run cannot be resumed with it.
    other = causal_config(
        "builtin:llama", EXAMPLES, new_tokens=8, max_input_tokens=1024, prompting=PromptSettings(truncation="middle")
    )
    with pytest.raises(LongsumError, match="prompt differ"):
        evaluate(other, output_dir=tmp_path, resume=True)


def test_a_preset_names_its_prompt_and_new_tokens(tiny_causal):
    _family, model = tiny_causal
    config = causal_config(model, EXAMPLES, new_tokens=None)
    config = EvalConfig(config.model, DataSettings(dataset="govreport"), config.generation, config.batching)
    info = load_summarizer(config).describe()
    assert info.prompt.source == "LongBench (gov_report)" and info.generation["max_new_tokens"] == 512
    assert info.prompt.template.startswith("You are given a report by a government agency.")


def test_out_of_memory_on_a_prompt_splits_its_batch_and_the_predictions_stay_the_recipes(monkeypatch):
    import torch

    import longsum.summarizers.causal as causal

    config = causal_config("builtin:llama", EXAMPLES, new_tokens=8, max_input_tokens=1024, batch_size=4)
    _result, expected = evaluate_in_memory(config)
    stock = causal.generate_alone
    calls = {"n": 0}

    def out_of_memory_on_the_third_prompt(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return stock(*args, **kwargs)

    monkeypatch.setattr(causal, "generate_alone", out_of_memory_on_the_third_prompt)
    result, records = evaluate_in_memory(config)
    assert result.stats.runner.oom_splits >= 1
    assert [(r.id, r.prediction) for r in records] == [(r.id, r.prediction) for r in expected]
    assert len({r.prediction for r in records}) == len(records), "summaries differ across documents"
