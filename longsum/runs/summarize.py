"""Summarizing files: plain text, Markdown, PDF or stdin, batched through the same engine as eval."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from longsum.config import BatchSettings
from longsum.engine.batching import Item, windows
from longsum.errors import LongsumError
from longsum.sources.documents import Document
from longsum.summarizers.protocol import Summarizer
from longsum.summarizers.runner import BatchRunner, initial_limits

STDIN = "-"


@dataclass(frozen=True)
class FileSummary:
    """The summary of one input file, with how much of it the model saw."""

    file: str
    summary: str
    input_tokens: int
    truncated: bool
    source_tokens: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON Lines form: file, summary, input_tokens, truncated."""
        data = asdict(self)
        data.pop("source_tokens")
        return data


def read_pdf(path: Path) -> str:
    """The text of a PDF, page by page, through pypdf.

    Raises:
        LongsumError: pypdf is not installed, or the file is not a readable PDF.
    """
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise LongsumError(f"{path}: reading PDF needs pypdf (pip install 'longsum[pdf]')") from None
    try:
        return "\n\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    except (PdfReadError, OSError, ValueError) as err:
        raise LongsumError(f"{path}: not a readable PDF ({err})") from None


def read_input(name: str) -> str:
    """The text of one input: ``-`` for stdin, a ``.pdf`` through pypdf, anything else as UTF-8 text.

    Raises:
        LongsumError: the file is missing, a folder, not UTF-8, or an unreadable PDF.
    """
    if name == STDIN:
        return sys.stdin.read()
    path = Path(name).expanduser()
    if not path.exists():
        raise LongsumError(f"file not found: {name}")
    if path.is_dir():
        raise LongsumError(f"{name} is a folder; pass files (or use eval --dataset for a folder of .txt files)")
    if path.suffix.lower() == ".pdf":
        return read_pdf(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise LongsumError(f"{name}: not UTF-8 text (byte {err.start})") from None


def summarize_files(names: list[str], summarizer: Summarizer, batching: BatchSettings) -> list[FileSummary]:
    """Summarize each named input (batched together, longest first), in the order given.

    Raises:
        LongsumError: an input cannot be read, or a single document does not fit in device memory.
    """
    if names.count(STDIN) > 1:
        raise LongsumError("stdin ('-') can be read only once")
    items = []
    for index, name in enumerate(names):
        text = read_input(name)
        ids, source_tokens = summarizer.encode(text) if text.strip() else ([], 0)
        items.append(Item(Document(index, name, text, None), ids, source_tokens))
    runner = BatchRunner(summarizer, initial_limits(summarizer, batching), None)
    done: dict[int, FileSummary] = {}
    for window in windows(items, batching.sort_window):
        for finished in runner.run_window(window):
            for item, output in finished:
                done[item.doc.index] = FileSummary(
                    item.doc.id, output.text, item.length, item.truncated, item.source_tokens
                )
    return [done[index] for index in range(len(names))]
