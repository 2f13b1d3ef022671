"""Training the shipped demonstration model: a tiny LongT5 that copies a document's lead sentences and stops.

Run ``python tools/train_demo_model.py --out longsum/assets/demo_model`` to rebuild it. The recipe is
deterministic (fixed seeds, one thread count) and writes its settings and the digest of the text it read
into ``training.json`` beside the weights.

Copying does not emerge from next-token loss within minutes on a shared CPU: trained from a random start,
the model learns the corpus's vocabulary and babbles. So the copy circuit is wired into the initial weights
(``copy_circuit.py``: the decoder looks up the input position whose predecessor and the bag of the ten
tokens before it match what it wrote last, and emits that position's token), and training then teaches
what wiring cannot: where a summary stops (the first sentence end from ``min_length`` on). Training windows
open a training article and grow longer as training goes on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from copy_circuit import wire_copy_circuit

from longsum.metrics.sentences import split_punkt
from longsum.summarizers.builtin import corpus_path, train_tokenizer


@dataclass(frozen=True)
class DemoRecipe:
    """Everything that determines the demonstration model."""

    # The first ``held_out`` articles of the sample are never read (nor by the tokenizer), so
    # ``--limit held_out`` on the sample evaluates on unseen articles.
    held_out: int = 64
    vocab_size: int = 4096
    #: Three slots of 64 (``copy_circuit.slots``): a token, the one before it, the bag of the ten before that.
    d_model: int = 192
    #: Wide heads: the copy lookup matches the previous token (64 dims) and the bag (64) in one head.
    d_kv: int = 128
    d_ff: int = 256
    num_heads: int = 2
    encoder_layers: int = 2
    decoder_layers: int = 2
    # Copying needs no long local context; small blocks keep the short training windows cheap.
    local_radius: int = 31
    steps: int = 60
    batch_size: int = 12
    learning_rate: float = 5e-4
    warmup_steps: int = 100
    #: Relative-position biases learn this much faster: Adam moves a parameter by about the learning rate
    #: per step, and a bias must grow to several units before a head attends to one neighbour, which
    #: copying needs (the next input token is found next to the one just copied).
    bias_lr_scale: float = 1.0
    weight_decay: float = 0.01
    #: Longest window (input tokens) per stage, and each stage's share of the steps: short windows, where the
    #: target is often the whole window, then longer ones, where it is the window's lead.
    window_stages: tuple[int, ...] = (128, 256, 512)
    stage_shares: tuple[float, ...] = (0.3, 0.4, 0.3)
    seed: int = 0
    threads: int = 2
    #: The wired copy circuit: attention sharpness (a bias in nats), lookup scale, output gain, logit scale,
    #: and the share of its initial scale every weight outside the circuit keeps.
    sharpness: float = 30.0
    match: float = 0.6
    bag_match: float = 2.0
    #: How much less than the previous token each earlier 16-token block weighs in the lookup's key (nats).
    position_prior: float = 3.0
    #: The start token's copy of the heading's last token, scaled to hold its own beside the heading's bag.
    start_scale: float = 3.0
    gain: float = 4.0
    logit_scale: float = 8.0
    residue: float = 0.05
    #: The shipped generation config's minimum summary length (tokens, decoder start included); the training
    #: target ends at the first sentence end from there on.
    min_length: int = 64
    #: Targets longer than this are cut without an end token, as ``--max-length 128`` cuts a summary.
    max_target: int = 127
    #: Save the weights every so many steps while training (0: only at the end), to look at them early.
    save_every: int = 0


def is_heading(sentence: str) -> bool:
    """Section headings of the sample (``BACKGROUND``, ``METHODS``): upper-case words, never summary text."""
    return sentence.isupper()


def lead_target(sentences: list[list[int]], headings: list[bool], least: int) -> list[int]:
    """Token ids of the first non-heading sentences, up to the first that ends at or after ``least`` tokens."""
    target: list[int] = []
    for ids, heading in zip(sentences, headings, strict=True):
        if heading:
            continue
        target.extend(ids)
        if len(target) >= least:
            break
    return target


@dataclass(frozen=True)
class Article:
    """One training article as sentences of token ids (no end token), with which are headings."""

    sentences: list[list[int]]
    headings: list[bool]


def read_sample(path: Path, held_out: int) -> tuple[list[dict[str, str]], list[str]]:
    """The training records of the sample, and the ids of the held-out ones (the first ``held_out``)."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return records[held_out:], [r["id"] for r in records[:held_out]]


def tokenizer_text(records: list[dict[str, str]]) -> str:
    """The tokenizer's training text: the project's corpus and the training articles, one sentence a line.

    SentencePiece skips lines longer than a few kilobytes, so paragraphs are split into sentences.
    """
    lines = corpus_path().read_text(encoding="utf-8").splitlines()
    for record in records:
        lines.extend(split_punkt(record["article"]))
    return "\n".join(lines) + "\n"


def make_window(
    article: Article, rng: random.Random, longest: int, recipe: DemoRecipe, eos: int
) -> tuple[list[int], list[int]]:
    """An (input ids, target ids) pair: the article's opening, up to ``longest`` tokens, and its lead.

    The lead is the sentences after the headings up to the first that ends at or after ``min_length - 1``
    tokens, then the end token, as ``generate`` with the shipped ``min_length`` should write it. A lead
    longer than ``max_target`` is cut there and has no end token, as ``--max-length`` would cut it.
    """
    limit = rng.randint(min(16, longest), longest) - 1
    inputs: list[int] = []
    sentences: list[list[int]] = []
    for ids in article.sentences:
        # A sentence longer than the window is cut, so the target never holds what the input lacks.
        ids = ids[: limit - len(inputs)]
        sentences.append(ids)
        inputs.extend(ids)
        if len(inputs) >= limit:
            break
    inputs.append(eos)
    target = lead_target(sentences, article.headings[: len(sentences)], recipe.min_length - 1)
    if len(target) > recipe.max_target:
        return inputs, target[: recipe.max_target]
    return inputs, [*target, eos]


def _batch(pairs: list[tuple[list[int], list[int]]], pad: int) -> dict[str, Any]:
    import torch

    width = max(len(i) for i, _ in pairs)
    depth = max(len(t) for _, t in pairs)
    input_ids = torch.full((len(pairs), width), pad, dtype=torch.long)
    labels = torch.full((len(pairs), depth), -100, dtype=torch.long)
    for row, (inputs, target) in enumerate(pairs):
        input_ids[row, : len(inputs)] = torch.tensor(inputs)
        labels[row, : len(target)] = torch.tensor(target)
    return {"input_ids": input_ids, "attention_mask": (input_ids != pad).long(), "labels": labels}


def masked_loss(logits: Any, labels: Any, min_length: int, eos: int) -> Any:
    """Cross-entropy of ``logits`` against ``labels`` with the end token ruled out where ``min_length`` rules it out.

    ``generate`` never writes the end token before ``min_length`` (decoder start included), so the model
    is neither taught to hold it back there nor blamed for wanting it: it learns to end at a sentence end.
    """
    import torch

    barred = torch.zeros(logits.shape[1:], dtype=logits.dtype)
    barred[: min_length - 1, eos] = -1e4
    return torch.nn.functional.cross_entropy((logits + barred).flatten(0, 1), labels.flatten(), ignore_index=-100)


def _learning_rate(recipe: DemoRecipe, step: int) -> float:
    if step < recipe.warmup_steps:
        return recipe.learning_rate * (step + 1) / recipe.warmup_steps
    progress = (step - recipe.warmup_steps) / max(1, recipe.steps - recipe.warmup_steps)
    return recipe.learning_rate * 0.5 * (1 + math.cos(math.pi * progress))


def window_limit(recipe: DemoRecipe, step: int) -> int:
    """The longest training window at ``step`` of the curriculum."""
    done = 0.0
    for longest, share in zip(recipe.window_stages, recipe.stage_shares, strict=True):
        done += share
        if step < done * recipe.steps:
            return longest
    return recipe.window_stages[-1]


def _save(model: Any, out: Path, pad: int, eos: int, recipe: DemoRecipe) -> None:
    from transformers import GenerationConfig

    # The model ends at the first sentence end it may, so the minimum length sets the lead's length. No n-gram
    # blocking: an article's sentence may repeat a phrase, and forbidding the repeat makes the lookup jump.
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad,
        pad_token_id=pad,
        eos_token_id=eos,
        min_length=recipe.min_length,
    )
    model.save_pretrained(out)


def train(sample: Path, out: Path, recipe: DemoRecipe, log: Any = print) -> dict[str, Any]:
    """Train the demonstration model on ``sample`` and save it (with ``training.json``) to ``out``."""
    import torch
    from transformers import AutoTokenizer, LongT5Config, LongT5ForConditionalGeneration

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    records, held_out_ids = read_sample(sample, recipe.held_out)
    out.mkdir(parents=True, exist_ok=True)
    text = tokenizer_text(records)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "text.txt"
        corpus.write_text(text, encoding="utf-8")
        train_tokenizer(corpus, out, recipe.vocab_size)
    tokenizer = AutoTokenizer.from_pretrained(out)
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    articles = []
    for record in records:
        sentences = split_punkt(record["article"])
        ids = tokenizer(sentences, add_special_tokens=False).input_ids
        articles.append(Article(ids, [is_heading(s) for s in sentences]))

    config = LongT5Config(
        vocab_size=len(tokenizer),
        d_model=recipe.d_model,
        d_kv=recipe.d_kv,
        d_ff=recipe.d_ff,
        num_layers=recipe.encoder_layers,
        num_decoder_layers=recipe.decoder_layers,
        num_heads=recipe.num_heads,
        encoder_attention_type="transient-global",
        local_radius=recipe.local_radius,
        global_block_size=16,
        pad_token_id=pad,
        eos_token_id=eos,
        dropout_rate=0.0,
    )
    config.decoder_start_token_id = pad
    model = LongT5ForConditionalGeneration(config)
    # Every article of the sample opens with a section heading; the summary starts after its last token.
    heading = next(s for s in split_punkt(records[0]["article"]) if is_heading(s))
    wire_copy_circuit(model, recipe, tokenizer(heading, add_special_tokens=False).input_ids)
    biases = [p for name, p in model.named_parameters() if "relative_attention_bias" in name]
    others = [p for name, p in model.named_parameters() if "relative_attention_bias" not in name]
    optimizer = torch.optim.AdamW(
        [{"params": others, "scale": 1.0}, {"params": biases, "scale": recipe.bias_lr_scale, "weight_decay": 0.0}],
        lr=recipe.learning_rate,
        weight_decay=recipe.weight_decay,
    )
    model.train()
    started = time.monotonic()
    for step in range(recipe.steps):
        longest = window_limit(recipe, step)
        pairs = [make_window(rng.choice(articles), rng, longest, recipe, eos) for _ in range(recipe.batch_size)]
        batch = _batch(pairs, pad)
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(recipe, step) * group["scale"]
        labels = batch.pop("labels")
        logits = model(**batch, labels=labels).logits
        loss = masked_loss(logits, labels, recipe.min_length, eos)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0 or step == recipe.steps - 1:
            known = labels != -100
            accuracy = ((logits.argmax(-1) == labels) & known).sum().item() / known.sum().item()
            if recipe.save_every and step and step % recipe.save_every == 0:
                _save(model, out, pad, eos, recipe)
            log(
                f"step {step} window<={longest} loss {loss.item():.3f} token accuracy {accuracy:.3f} "
                f"lr {_learning_rate(recipe, step):.2e} {time.monotonic() - started:.0f}s"
            )
    seconds = time.monotonic() - started
    model.eval()
    _save(model, out, pad, eos, recipe)
    training: dict[str, Any] = {
        "recipe": asdict(recipe),
        "data": {
            "sample": sample.name,
            "sample_sha256": hashlib.sha256(sample.read_bytes()).hexdigest(),
            "corpus_sha256": hashlib.sha256(corpus_path().read_bytes()).hexdigest(),
            "training_articles": len(records),
            "held_out_ids": held_out_ids,
        },
        "training_seconds": round(seconds, 1),
        "torch": torch.__version__,
    }
    (out / "training.json").write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
    return training


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python tools/train_demo_model.py --sample PATH --out DIR [--steps N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sample", type=Path, default=Path("../shared/data/pubmed-sample.jsonl"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=DemoRecipe.steps)
    parser.add_argument("--learning-rate", type=float, default=DemoRecipe.learning_rate)
    parser.add_argument("--threads", type=int, default=DemoRecipe.threads)
    parser.add_argument("--save-every", type=int, default=0)
    parser.add_argument("--bias-lr-scale", type=float, default=DemoRecipe.bias_lr_scale)
    parser.add_argument("--bag-match", type=float, default=DemoRecipe.bag_match)
    parser.add_argument("--position-prior", type=float, default=DemoRecipe.position_prior)
    args = parser.parse_args(argv)
    recipe = DemoRecipe(
        steps=args.steps,
        learning_rate=args.learning_rate,
        threads=args.threads,
        save_every=args.save_every,
        bias_lr_scale=args.bias_lr_scale,
        bag_match=args.bag_match,
        position_prior=args.position_prior,
    )
    record = train(args.sample, args.out, recipe, log=lambda line: print(line, flush=True))
    print(f"trained in {record['training_seconds']} s; saved to {args.out}")


if __name__ == "__main__":
    main()
