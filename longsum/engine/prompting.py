"""Prompts for decoder-only (causal LM) models: the template around the document, the tokenizer's chat template,
and a truncation that cuts only the document, so the instruction always survives.

The ids a model sees are defined as follows, and the reference recipe uses the same ones:

1. the prompt text is the template with ``{document}`` replaced by the document's text (whole, or cut: below);
2. with a chat template, the text is the user turn (after the system turn, if any) rendered by
   ``tokenizer.apply_chat_template(..., add_generation_prompt=True, tokenize=False)`` and tokenized without adding
   special tokens (what ``apply_chat_template(tokenize=True)`` does); without one, the text (after the system prompt
   and a blank line, if any) is tokenized with the tokenizer's own special tokens (its BOS);
3. when those ids and ``max_new_tokens`` do not fit the input limit, the document's text is cut at token boundaries
   of the document tokenized alone (``end``: its first K tokens; ``middle``: its first ceil(K/2) and last floor(K/2),
   as LongBench cuts), with K the room the template leaves; the whole prompt is then tokenized again (tokens may
   merge at the seams) and K lowered by the excess until it fits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from longsum.config import DOCUMENT_PLACEHOLDER
from longsum.engine.tokenizing import TokenWindow, document_tokens, token_window
from longsum.errors import LongsumError


def short_sha256(text: str) -> str:
    """The first 12 hex digits of ``text``'s SHA-256: how results name a prompt or a chat template."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def chat_template_of(tokenizer: Any) -> str | None:
    """The tokenizer's default chat template, or ``None`` when it has none."""
    try:
        return str(tokenizer.get_chat_template())
    except (ValueError, AttributeError):
        return None


def uses_chat_template(tokenizer: Any, mode: str, model: str) -> bool:
    """Whether prompts go through the tokenizer's chat template under ``mode`` (``auto``, ``on`` or ``off``).

    Raises:
        LongsumError: ``on`` for a tokenizer without a chat template.
    """
    has_one = chat_template_of(tokenizer) is not None
    if mode == "on" and not has_one:
        raise LongsumError(f"--chat-template on: the tokenizer of {model!r} has no chat template; use auto or off")
    return mode != "off" and has_one


@dataclass(frozen=True)
class Prompt:
    """A resolved prompt: the template (with ``{document}``), the system prompt, whether the chat template applies,
    and the truncation mode (``end`` or ``middle``)."""

    template: str
    system_prompt: str | None
    chat: bool
    truncation: str


def chat_messages(prompt: Prompt, document: str) -> list[dict[str, str]]:
    """The chat turns for ``document`` (already cut): the system turn, if any, and the prompt as the user turn."""
    head, tail = prompt.template.split(DOCUMENT_PLACEHOLDER)
    messages = [{"role": "system", "content": prompt.system_prompt}] if prompt.system_prompt else []
    return [*messages, {"role": "user", "content": head + document + tail}]


def plain_prompt(prompt: Prompt, document: str) -> str:
    """The prompt text for ``document`` (already cut) without a chat template: the system prompt and a blank
    line, if any, then the prompt."""
    *system, user = chat_messages(prompt, document)
    return f"{system[0]['content']}\n\n{user['content']}" if system else user["content"]


class PromptBuilder:
    """Builds each document's prompt ids within ``budget`` tokens (the input limit less the new tokens).

    Raises:
        LongsumError: the budget is not positive, the template alone is longer than it, or the chat template
            refuses the prompt (e.g. a system turn it does not support).
    """

    def __init__(self, tokenizer: Any, prompt: Prompt, limit: int, new_tokens: int) -> None:
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.budget = limit - new_tokens
        if self.budget < 1:
            raise LongsumError(
                f"--max-new-tokens {new_tokens} leaves no room for the prompt in the {limit}-token input limit"
            )
        try:
            self.overhead = len(self.ids_for(""))
        except Exception as err:  # a template's raise_exception(), a Jinja error
            first_line = next(iter(str(err).splitlines()), type(err).__name__)
            raise LongsumError(f"the chat template refused the prompt: {first_line}") from None
        if self.overhead > self.budget:
            raise LongsumError(
                f"the prompt is {self.overhead} tokens without its document, more than the {self.budget} the input "
                f"limit leaves it ({limit} tokens less {new_tokens} new ones); shorten the prompt or raise the limit"
            )

    def text_for(self, document: str) -> str:
        """The text the tokenizer gets for ``document`` (already cut): the chat template rendered, or the plain
        prompt."""
        if not self.prompt.chat:
            return plain_prompt(self.prompt, document)
        messages = chat_messages(self.prompt, document)
        return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def ids_for(self, document: str) -> list[int]:
        """The prompt ids for ``document`` (already cut), as the model sees them."""
        text = self.text_for(document)
        return list(self.tokenizer(text, add_special_tokens=not self.prompt.chat, verbose=False).input_ids)

    def build(self, document: str) -> tuple[list[int], int]:
        """The prompt ids for ``document``, cut to fit the budget, and the prompt's length with the whole document
        (see ``cut``)."""
        _, ids, total = self.cut(document)
        return ids, total

    def cut(self, document: str) -> tuple[str, list[int], int]:
        """The text kept of ``document`` and the prompt ids for it, cut to fit the budget, and the prompt's length
        with the whole document.

        A document is cut exactly when its whole prompt does not fit. The whole prompt of a document far over the
        budget is not tokenized: its length is then the template's tokens plus the document's, counted apart (the
        two may merge a token at their seams); either way it is more than the ids kept.
        """
        room = self.budget - self.overhead
        head = token_window(self.tokenizer, document, room + 1)
        if head.total is not None:
            # Near the budget or under it: the whole prompt decides.
            ids = self.ids_for(document)
            if len(ids) <= self.budget:
                return document, ids, len(ids)
            total, tail, source = head.total, head, len(ids)
        else:
            total = document_tokens(self.tokenizer, document)
            tail = token_window(self.tokenizer, document, room // 2 + 1, from_end=True)
            source = self.overhead + total
        keep = min(room, total - 1)
        while True:
            kept = self._kept(document, keep, head, tail)
            ids = self.ids_for(kept)
            if len(ids) <= self.budget:
                return kept, ids, max(source, len(ids) + 1)
            keep = max(0, keep - (len(ids) - self.budget))

    def _kept(self, document: str, keep: int, head: TokenWindow, tail: TokenWindow) -> str:
        """The text of ``keep`` of the document's tokens: its first ones (``end``), or its first and last halves
        (``middle``). ``head`` and ``tail`` hold its first and last tokens (both all of them for a short one)."""
        first, last = (keep, 0) if self.prompt.truncation == "end" else ((keep + 1) // 2, keep // 2)
        if not keep:
            return ""
        if head.starts is not None and tail.starts is not None:
            cut = head.starts[first] if first < len(head.starts) else len(document)
            resume = tail.starts[len(tail.starts) - last] if last else len(document)
            return document[:cut] + document[resume:]
        # A tokenizer without offsets: decode the kept tokens, as LongBench does.
        decode = self.tokenizer.decode
        tail_ids = tail.ids[len(tail.ids) - last :] if last else []
        return str(decode(head.ids[:first])) + (str(decode(tail_ids)) if tail_ids else "")
