from longsum.config import BatchSettings, DataSettings, EvalConfig, ModelSettings, ScoreSettings
from longsum.results.signature import bench_signature, eval_signature, format_signature
from longsum.summarizers.protocol import PromptInfo, SummarizerInfo

DESCRIBED = SummarizerInfo(
    model="org/model",
    revision="abc123",
    dtype="bf16",
    generation={
        "num_beams": 2,
        "max_length": 512,
        "max_new_tokens": None,
        "min_length": 0,
        "length_penalty": 1.0,
        "no_repeat_ngram_size": 3,
    },
)
VERSIONS = {"longsum": "0.1.0", "transformers": "5.24.0", "torch": "2.13.0", "rouge-score": "0.1.2"}


def test_format_signature():
    assert format_signature({"a": 1, "b": None, "c": True, "d": False}) == "a:1|b:none|c:yes|d:no"


def test_eval_signature_names_everything_that_changes_the_number():
    config = EvalConfig(
        data=DataSettings(dataset="ccdv/pubmed-summarization:document", split="test", limit=64),
        batching=BatchSettings(max_input_tokens=8192),
        scoring=ScoreSettings(use_stemmer=True, bootstrap_samples=500, seed=3),
    )
    assert eval_signature(config, DESCRIBED, VERSIONS) == (
        "model:org/model@abc123|data:ccdv/pubmed-summarization:document/test|n:64|in:8192|pad:dynamic"
        "|beams:2|maxlen:512|maxnew:none|minlen:0|lp:1.0|nrng:3|dtype:bf16|remote-code:no|stem:yes|lsum:punkt-v1"
        "|boot:500@0.95|seed:3|longsum:0.1.0|transformers:5.24.0|torch:2.13.0|rouge-score:0.1.2"
    )


def test_local_dataset_has_no_split_and_all_documents():
    config = EvalConfig(data=DataSettings(dataset="runs/docs.jsonl"))
    signature = eval_signature(config, DESCRIBED, VERSIONS)
    assert "|data:runs/docs.jsonl|n:all|" in signature


def test_trusting_remote_code_is_in_the_signature():
    config = EvalConfig(model=ModelSettings(model="ccdv/lsg-bart-base-16384-pubmed", trust_remote_code=True))
    assert "|remote-code:yes|" in eval_signature(config, DESCRIBED, VERSIONS)


def test_bench_signature_names_the_model_and_the_workload():
    info = SummarizerInfo(
        model="builtin:tglobal",
        revision="sha256:0f",
        dtype="fp32",
        generation={"num_beams": 2, "max_length": 512},
        max_input_tokens=4096,
    )
    assert bench_signature(info, "synthetic:16@0", 16, 3, 1) == (
        "model:builtin:tglobal@sha256:0f|data:synthetic:16@0|n:16|in:4096|beams:2|maxlen:512|maxnew:none|dtype:fp32"
        "|repeats:3|recipe_repeats:1"
    )


def test_a_model_without_a_revision_is_named_alone():
    baseline = SummarizerInfo(model="lead-3")
    assert bench_signature(baseline, "docs.jsonl", 4, 1, None).startswith("model:lead-3|data:docs.jsonl|")


def test_a_causal_lm_signature_names_its_prompt_and_a_seq2seq_one_does_not():
    from dataclasses import replace

    from longsum.results.signature import parse_signature

    prompt = PromptInfo("Summarize.\n\n{document}", "prompt", None, "0123456789ab", "middle", ("\n\n", "|x:"))
    causal = replace(DESCRIBED, kind="causal", prompt=prompt)
    fields = parse_signature(eval_signature(EvalConfig(), causal, VERSIONS))
    assert fields["kind"] == "causal" and fields["prompt"] == prompt.template_sha256
    assert fields["chat"] == "0123456789ab" and fields["trunc"] == "middle" and fields["stop"].startswith("2@")
    assert "system" not in fields and fields["dtype"] == "bf16", "stop strings never break the signature's fields"
    with_system = replace(causal, prompt=replace(prompt, system_prompt="Be brief.", chat_template=None, stop=()))
    fields = parse_signature(eval_signature(EvalConfig(), with_system, VERSIONS))
    assert len(fields["system"]) == 12 and fields["chat"] == "off" and fields["stop"] == "none"
    other = replace(causal, prompt=replace(prompt, template="Summarize:\n{document}"))
    assert eval_signature(EvalConfig(), other, VERSIONS) != eval_signature(EvalConfig(), causal, VERSIONS)
    assert "kind:" not in eval_signature(EvalConfig(), DESCRIBED, VERSIONS)
    assert "prompt" not in DESCRIBED.to_dict() and causal.to_dict()["prompt"]["truncation"] == "middle"


def test_a_served_model_names_its_endpoints_host_and_api_and_the_servers_chat_template():
    info = SummarizerInfo(
        model="openai:meta-llama/Llama-3.1-8B-Instruct",
        generation={"num_beams": 1, "max_new_tokens": 512},
        kind="served",
        prompt=PromptInfo("Summarize: {document}", "prompt", None, "server", "none"),
        endpoint={"host": "gpu-node-3:8000", "api": "chat", "model_id": "meta-llama/Llama-3.1-8B-Instruct"},
    )
    signature = eval_signature(EvalConfig(), info, VERSIONS)
    assert signature.startswith("model:openai:meta-llama/Llama-3.1-8B-Instruct|")
    assert "|kind:served|" in signature and "|chat:server|trunc:none|" in signature
    assert "|endpoint:gpu-node-3:8000|api:chat|" in signature
    assert "endpoint" not in eval_signature(EvalConfig(), DESCRIBED, VERSIONS)


def test_the_signature_names_same_length_batches_where_they_replace_the_dynamic_ones():
    config = EvalConfig(batching=BatchSettings(max_input_tokens=1024))
    same_length = SummarizerInfo(model="org/bart", revision="abc", dtype="bf16", same_length_batches=True)
    assert "|pad:same-length|" in eval_signature(config, same_length, VERSIONS)
    assert "|pad:dynamic|" in eval_signature(config, DESCRIBED, VERSIONS)
