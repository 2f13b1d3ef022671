"""Named long-document benchmarks: each preset names its hub dataset, config, revision, split and columns.

Every hub id here serves parquet (or csv) data files that current ``datasets`` streams without a loading
script; where the original repository still holds only a script, the preset reads the hub's own parquet
conversion (``refs/convert/parquet``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from longsum.config import DataSettings

#: The split a hub dataset is read from when neither the user nor a preset names one.
DEFAULT_SPLIT = "validation"


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
    )
)


def find_preset(dataset: str) -> DatasetPreset | None:
    """The preset ``dataset`` names, or ``None`` when it names a hub id or a local path."""
    return PRESETS.get(dataset)
