"""The command line's options: the help panels and every option the commands share, typed and documented once.

Torch-free to import, as every module of ``longsum.cli`` is at its top: ``longsum --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from longsum.config import (
    ChatTemplate,
    Dtype,
    FaithfulnessMethod,
    Padding,
    ScoreSettings,
    SentenceSplitter,
    Truncation,
)
from longsum.errors import LongsumError
from longsum.summarizers.resolver import model_help

# The panels of ``--help``: eval, bench and summarize group their many options under these titles.
MODEL = "Model"
DATA = "Data"
GENERATION = "Generation"
BATCHING = "Batching"
SCORING = "Scoring"
OUTPUT = "Output"
BENCHMARK = "Benchmark"
PROMPT = "Prompt (decoder-only models)"
SERVED = "Served models (--model openai:NAME)"
#: The order of the panels in ``--help``.
PANELS = (MODEL, SERVED, DATA, PROMPT, GENERATION, BATCHING, SCORING, BENCHMARK, OUTPUT)


ModelOpt = Annotated[
    str, typer.Option("--model", help=f"What to summarize with. {model_help()}.", rich_help_panel=MODEL)
]
RevisionOpt = Annotated[
    str | None, typer.Option("--revision", help="Hub branch, tag or commit of the model.", rich_help_panel=MODEL)
]
DtypeOpt = Annotated[
    Dtype,
    typer.Option(
        "--dtype",
        help="Compute dtype; auto: bf16 on CUDA where the GPU supports it, else fp16 on CUDA, fp32 on the CPU "
        "(bf16 also runs on a CPU with AVX512-BF16 or AMX; fp16 needs CUDA).",
        rich_help_panel=MODEL,
    ),
]
DeviceOpt = Annotated[
    str,
    typer.Option(
        "--device", help="auto (cuda when there is one, else cpu), cpu, cuda or cuda:N.", rich_help_panel=MODEL
    ),
]
TrustRemoteCodeOpt = Annotated[
    bool,
    typer.Option(
        "--trust-remote-code",
        help="Run the modeling code a hub checkpoint ships (e.g. LSG models).",
        rich_help_panel=MODEL,
    ),
]
MaxLengthOpt = Annotated[
    int,
    typer.Option("--max-length", help="Total decoder length, as generate(max_length=...).", rich_help_panel=GENERATION),
]
MaxNewOpt = Annotated[
    int | None,
    typer.Option(
        "--max-new-tokens",
        help="At most this many generated tokens; replaces --max-length.",
        rich_help_panel=GENERATION,
    ),
]
BeamsOpt = Annotated[
    int | None,
    typer.Option(
        "--num-beams",
        help="Beam width (default: 2 for a seq2seq model, as the LongT5 docs recipe; a decoder-only model's own "
        "generation config, greedy for most).",
        rich_help_panel=GENERATION,
        show_default=False,
    ),
]
LengthPenaltyOpt = Annotated[
    float | None,
    typer.Option(
        "--length-penalty", help="Beam length penalty (default: the checkpoint's).", rich_help_panel=GENERATION
    ),
]
NoRepeatOpt = Annotated[
    int | None,
    typer.Option(
        "--no-repeat-ngram-size", help="Block repeated n-grams (default: the checkpoint's).", rich_help_panel=GENERATION
    ),
]
MaxInputOpt = Annotated[
    int | None,
    typer.Option(
        "--max-input-tokens",
        help="Truncate longer inputs (and count them); default: the smaller of 16384 and the model's position limit.",
        rich_help_panel=BATCHING,
    ),
]
BatchSizeOpt = Annotated[
    int | None,
    typer.Option("--batch-size", help="At most this many documents per batch.", rich_help_panel=BATCHING),
]
BatchTokensOpt = Annotated[
    int | None,
    typer.Option(
        "--max-batch-tokens",
        help="Padded input tokens per batch (default: from free GPU memory, else 65536).",
        rich_help_panel=BATCHING,
    ),
]
PaddingOpt = Annotated[
    Padding,
    typer.Option(
        "--padding",
        help="dynamic: pad each batch to its longest input; max-length: pad every input to --max-input-tokens, "
        "in dataset order, as the docs recipe does.",
        rich_help_panel=BATCHING,
    ),
]


StemmerOpt = Annotated[
    bool, typer.Option("--use-stemmer", help="Porter-stem tokens before matching.", rich_help_panel=SCORING)
]
SplitterOpt = Annotated[
    SentenceSplitter,
    typer.Option("--sentence-splitter", help="How rougeLsum splits sentences.", rich_help_panel=SCORING),
]
BootstrapOpt = Annotated[
    int,
    typer.Option("--bootstrap-samples", help="Resamples for the confidence interval.", rich_help_panel=SCORING),
]
MetricOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        help="An evaluate metric beside ROUGE: hub id, or a local module (.py file or folder); repeatable.",
        rich_help_panel=SCORING,
    ),
]
FaithfulnessOpt = Annotated[
    str | None,
    typer.Option(
        "--faithfulness",
        help="Also score each summary against its source with this NLI checkpoint (hub id or local directory whose "
        "labels are entailment, neutral and contradiction), e.g. roberta-large-mnli; see docs/faithfulness.md.",
        rich_help_panel=SCORING,
        show_default=False,
    ),
]
FaithfulnessMethodOpt = Annotated[
    FaithfulnessMethod,
    typer.Option(
        "--faithfulness-method",
        help="summac-zs: each source sentence against each summary sentence, best entailment minus best "
        "contradiction, in [-1, 1]; align: the source in chunks that fit the model, best entailment, in [0, 1].",
        rich_help_panel=SCORING,
    ),
]
SourceDatasetOpt = Annotated[
    str | None,
    typer.Option(
        "--dataset",
        help="Where the source documents are, for --faithfulness and metrics that take sources (default: the "
        "dataset the run recorded in its run.json).",
        rich_help_panel=SCORING,
        show_default=False,
    ),
]


def scoring_settings(
    use_stemmer: bool,
    sentence_splitter: SentenceSplitter,
    bootstrap_samples: int,
    seed: int,
    metric: list[str] | None = None,
    faithfulness: str | None = None,
    faithfulness_method: FaithfulnessMethod = "summac-zs",
) -> ScoreSettings:
    """The scoring options eval, score and compare share, as settings.

    Raises:
        LongsumError: a value is out of range (``ScoreSettings`` checks them).
    """
    return ScoreSettings(
        use_stemmer,
        sentence_splitter,
        bootstrap_samples,
        seed=seed,
        metrics=tuple(metric or ()),
        faithfulness=faithfulness,
        faithfulness_method=faithfulness_method,
    )


ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write a self-contained HTML report (scores, length analysis, examples).",
        rich_help_panel=OUTPUT,
    ),
]
ModelIndexOpt = Annotated[
    Path | None,
    typer.Option(
        "--model-index",
        help="Also write the Hugging Face model-index block: a .yaml file, or a model card README.md to update.",
        rich_help_panel=OUTPUT,
    ),
]
MetricsJsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the metrics JSON instead of the table.", rich_help_panel=OUTPUT)
]
ExamplesOpt = Annotated[
    int | None,
    typer.Option(
        "--examples",
        min=0,
        help="Show N summaries beside their references under the scores (and keep them in metrics.json and the "
        "report), chosen by ROUGE-1: the median, the lowest, the highest, the quartiles, then ranks between. "
        "Default: 2, or 0 with --json.",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]


def examples_shown(examples: int | None, json_output: bool) -> int:
    """How many examples to choose: as asked, else 2 for the terminal and none for JSON."""
    if examples is not None:
        return examples
    return 0 if json_output else 2


PromptOpt = Annotated[
    str | None,
    typer.Option(
        "--prompt",
        help="The instruction, with {document} where the document goes, or @FILE to read it from a file (default: "
        "the benchmark's published prompt, else a plain one; longsum datasets --json lists them).",
        rich_help_panel=PROMPT,
        show_default=False,
    ),
]
SystemPromptOpt = Annotated[
    str | None,
    typer.Option("--system-prompt", help="A system turn before the prompt.", rich_help_panel=PROMPT),
]
ChatTemplateOpt = Annotated[
    ChatTemplate,
    typer.Option(
        "--chat-template",
        help="auto: the tokenizer's chat template when it has one (the prompt as a user turn, with the generation "
        "prompt); on: require one; off: the prompt text as it is.",
        rich_help_panel=PROMPT,
    ),
]
TruncationOpt = Annotated[
    Truncation,
    typer.Option(
        "--truncation",
        help="Only the document is cut so the prompt and the new tokens fit the input limit: end keeps its start "
        "(HELMET, ZeroSCROLLS), middle its first and last halves (LongBench).",
        rich_help_panel=PROMPT,
    ),
]
StopOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--stop",
        help="A string that ends a summary where it first appears (the summary is the text before it); repeatable.",
        rich_help_panel=PROMPT,
    ),
]


def prompt_text(prompt: str | None) -> str | None:
    """``--prompt``'s text: as given, or the contents of ``@FILE``.

    Raises:
        LongsumError: ``@FILE`` cannot be read.
    """
    if prompt is None or not prompt.startswith("@"):
        return prompt
    path = Path(prompt[1:])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LongsumError(f"--prompt {prompt}: cannot read {path} ({getattr(err, 'strerror', None) or err})") from None
