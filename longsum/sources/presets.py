"""Named long-document benchmarks: each preset names its hub dataset, config, revision, split and columns.

Every hub id here serves parquet (or csv) data files that current ``datasets`` streams without a loading
script; where the original repository still holds only a script, the preset reads the hub's own parquet
conversion (``refs/convert/parquet``).

Each preset also names the instruction a decoder-only (causal LM) model is given and how many new tokens it may
write (``PresetPrompt``): a published setup's where one covers the dataset (LongBench's ``dataset2prompt`` and
``dataset2maxlen`` for GovReport and Multi-News; ZeroSCROLLS and HELMET cover none of these datasets in this form),
and written by longsum otherwise, in LongBench's shape (the instruction before the document and again after it, so
``--truncation middle`` keeps both). ``source`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from longsum.config import DataSettings

#: The split a hub dataset is read from when neither the user nor a preset names one.
DEFAULT_SPLIT = "validation"
#: New tokens a causal LM may write unless told otherwise: LongBench's budget for its summarization tasks.
DEFAULT_MAX_NEW_TOKENS = 512


@dataclass(frozen=True)
class PresetPrompt:
    """The instruction a causal LM summarizes a dataset's documents with.

    Attributes:
        template: the prompt, with ``{document}`` where the document goes.
        max_new_tokens: how many tokens the summary may have.
        source: where the prompt comes from (a published setup, or ``longsum``).
    """

    template: str
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    source: str = "longsum"


#: The prompt of a dataset no preset names (a local file, a hub dataset): written by longsum.
DEFAULT_PROMPT = PresetPrompt("Summarize the following document.\n\nDocument:\n{document}\n\nSummary:")


@dataclass(frozen=True)
class DatasetPreset:
    """A benchmark as ``--dataset NAME`` reads it.

    Attributes:
        name: what the user types, and what the signature records.
        hub_id: the hub repository of the data.
        config: the dataset config (``None``: the repository's default).
        split: the split papers report (used unless ``--split`` is given).
        text_column, summary_column, id_column: where the document, reference and id are.
        revision: a branch or commit of the hub repository (``None``: its default branch).
        description: one line for ``longsum datasets``.
        prompt: what a causal LM is asked, and how many new tokens it may write.
    """

    name: str
    hub_id: str
    config: str | None
    split: str
    text_column: str
    summary_column: str
    id_column: str | None = None
    revision: str | None = None
    description: str = ""
    prompt: PresetPrompt = DEFAULT_PROMPT

    @property
    def dataset(self) -> str:
        """The ``name[:config]`` form ``--dataset`` takes for a hub dataset."""
        return f"{self.hub_id}:{self.config}" if self.config else self.hub_id

    def apply(self, settings: DataSettings) -> DataSettings:
        """``settings`` reading this preset: its dataset, and its split and columns where the user gave none."""
        return replace(
            settings,
            dataset=self.dataset,
            split=settings.split or self.split,
            text_column=settings.text_column or self.text_column,
            summary_column=settings.summary_column or self.summary_column,
            id_column=settings.id_column or self.id_column,
        )


PRESETS: dict[str, DatasetPreset] = {}


def register(preset: DatasetPreset) -> None:
    """Add ``preset`` to the registry under its name."""
    PRESETS[preset.name] = preset


register(
    DatasetPreset(
        "pubmed",
        "ccdv/pubmed-summarization",
        "document",
        "test",
        "article",
        "abstract",
        description="PubMed articles and their abstracts (Cohan et al., 2018)",
        # Written by longsum: no published long-context LLM setup prompts PubMed.
        prompt=PresetPrompt(
            "You are given a biomedical research article. Write the abstract of the article.\n\n"
            "Article:\n{document}\n\nNow, write the abstract of the article.\n\nAbstract:"
        ),
    )
)
register(
    DatasetPreset(
        "arxiv",
        "ccdv/arxiv-summarization",
        "document",
        "test",
        "article",
        "abstract",
        description="arXiv papers and their abstracts (Cohan et al., 2018)",
        # Written by longsum: no published long-context LLM setup prompts arXiv.
        prompt=PresetPrompt(
            "You are given a scientific paper. Write the abstract of the paper.\n\n"
            "Paper:\n{document}\n\nNow, write the abstract of the paper.\n\nAbstract:"
        ),
    )
)
register(
    DatasetPreset(
        "govreport",
        "ccdv/govreport-summarization",
        "document",
        "test",
        "report",
        "summary",
        description="US government reports and their expert summaries (Huang et al., 2021)",
        # LongBench's gov_report prompt and budget (config/dataset2prompt.json, dataset2maxlen.json: 512).
        prompt=PresetPrompt(
            "You are given a report by a government agency. Write a one-page summary of the report.\n\n"
            "Report:\n{document}\n\nNow, write a one-page summary of the report.\n\nSummary:",
            512,
            "LongBench (gov_report)",
        ),
    )
)
register(
    DatasetPreset(
        "booksum",
        "kmfoda/booksum",
        None,
        "test",
        "chapter",
        "summary_text",
        description="book chapters and their summaries, chapter level (Kryscinski et al., 2021)",
        # Written by longsum: BookSum's chapters are not in LongBench, ZeroSCROLLS or HELMET.
        prompt=PresetPrompt(
            "You are given a chapter of a book. Write a summary of the chapter.\n\n"
            "Chapter:\n{document}\n\nNow, write a summary of the chapter.\n\nSummary:"
        ),
    )
)
register(
    DatasetPreset(
        "bigpatent",
        "NortheasternUniversity/big_patent",
        "all",
        "test",
        "description",
        "abstract",
        revision="refs/convert/parquet",
        description="US patent descriptions and their abstracts, all CPC sections (Sharma et al., 2019)",
        # Written by longsum: no published long-context LLM setup prompts BigPatent.
        prompt=PresetPrompt(
            "You are given the description of a patent. Write the abstract of the patent.\n\n"
            "Description:\n{document}\n\nNow, write the abstract of the patent.\n\nAbstract:"
        ),
    )
)
register(
    DatasetPreset(
        "multinews",
        "alexfabbri/multi_news",
        "default",
        "test",
        "document",
        "summary",
        revision="refs/convert/parquet",
        description="clusters of news articles and their editors' summaries (Fabbri et al., 2019)",
        # LongBench's multi_news prompt and budget (config/dataset2prompt.json, dataset2maxlen.json: 512), with
        # its space before the blank line kept.
        prompt=PresetPrompt(
            "You are given several news passages. Write a one-page summary of all news. \n\n"
            "News:\n{document}\n\nNow, write a one-page summary of all the news.\n\nSummary:",
            512,
            "LongBench (multi_news)",
        ),
    )
)
register(
    DatasetPreset(
        "billsum",
        "FiscalNote/billsum",
        None,
        "test",
        "text",
        "summary",
        description="US Congressional bills and their CRS summaries (Kornilova and Eidelman, 2019)",
        # Written by longsum: no published long-context LLM setup prompts BillSum.
        prompt=PresetPrompt(
            "You are given a bill of the US Congress. Write a summary of the bill.\n\n"
            "Bill:\n{document}\n\nNow, write a summary of the bill.\n\nSummary:"
        ),
    )
)


def find_preset(dataset: str) -> DatasetPreset | None:
    """The preset ``dataset`` names, or ``None`` when it names a hub id or a local path."""
    return PRESETS.get(dataset)


def prompt_for(dataset: str) -> PresetPrompt:
    """The causal-LM prompt of ``dataset``: its preset's, else the plain default."""
    preset = find_preset(dataset)
    return preset.prompt if preset is not None else DEFAULT_PROMPT
