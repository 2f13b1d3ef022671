"""Model loading: device and dtype choice, and a checkpoint (seq2seq or causal LM) from a local directory or the hub
onto them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longsum.config import ModelSettings
from longsum.engine.heap import keep_freed_memory
from longsum.errors import LongsumError

_DTYPE_NAMES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def resolve_device(requested: str, cuda_available: bool, cuda_count: int = 1) -> str:
    """The device to run on: ``auto`` picks ``cuda`` when there is one, else ``cpu``.

    Raises:
        LongsumError: CUDA is asked for on a machine without it, or the index is out of range.
    """
    if requested == "auto":
        return "cuda" if cuda_available else "cpu"
    if requested.startswith("cuda"):
        if not cuda_available:
            raise LongsumError(f"--device {requested} asked for, but this machine has no CUDA device")
        index = int(requested.partition(":")[2] or 0)
        if index >= cuda_count:
            raise LongsumError(f"--device {requested}: only {cuda_count} CUDA device(s) here")
    return requested


#: The ``/proc/cpuinfo`` flags of an x86 CPU that computes bf16 products natively (AVX512-BF16 on Cooper Lake and
#: EPYC Genoa on; AMX on Sapphire Rapids on). Without them oneDNN emulates bf16, slower than fp32.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
CPU_BF16_REFUSED = (
    "--dtype bf16 needs a CUDA device or a CPU with native bf16 (AVX512-BF16 or AMX); use fp32 (or auto) here"
)


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU computes bf16 natively: its flags (``cpuinfo``, by default read from ``/proc/cpuinfo``) name
    AVX512-BF16 or AMX-BF16, and torch's oneDNN runs bf16 here.

    torch has no public query for these flags (``get_cpu_capability()`` says ``AVX512`` for CPUs with and
    without them), hence the flags; a machine without ``/proc/cpuinfo`` counts as without.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    flags = {flag for line in cpuinfo.splitlines() if line.startswith("flags") for flag in line.split()}
    if not flags.intersection(NATIVE_BF16_FLAGS):
        return False
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def choose_dtype(requested: str, device: str, bf16_supported: bool) -> str:
    """The compute dtype name (``bf16``, ``fp16`` or ``fp32``) for ``requested`` on ``device``.

    ``auto`` means bf16 on CUDA where the device supports it, fp16 on other CUDA devices, fp32 on the CPU: there
    bf16 is opt-in, since it changes summaries and CPU runs would otherwise score by the CPU's flags. bf16 runs on
    a CPU that computes it natively (``bf16_supported``); fp16 is refused on the CPU, where it is emulated and slow.

    Raises:
        LongsumError: fp16 is asked for on the CPU, or bf16 on a device without it.
    """
    on_cuda = device.startswith("cuda")
    if requested == "auto":
        if not on_cuda:
            return "fp32"
        return "bf16" if bf16_supported else "fp16"
    if requested == "fp16" and not on_cuda:
        raise LongsumError("--dtype fp16 needs a CUDA device; use fp32 (or auto) on the CPU, or bf16 where it has it")
    if requested == "bf16" and not bf16_supported:
        raise LongsumError(
            CPU_BF16_REFUSED if not on_cuda else "--dtype bf16: this GPU does not support bfloat16; use fp16 or fp32"
        )
    return requested


def torch_dtype(name: str) -> Any:
    """The ``torch.dtype`` for a dtype name."""
    import torch

    return getattr(torch, _DTYPE_NAMES[name])


#: What a checkpoint is: an encoder-decoder (``AutoModelForSeq2SeqLM``) or a decoder-only LM (``AutoModelForCausalLM``).
SEQ2SEQ, CAUSAL = "seq2seq", "causal"


@dataclass
class LoadedModel:
    """A model ready to generate, with what is needed to reproduce its numbers.

    ``kind`` is ``seq2seq`` or ``causal``: which auto class loaded it.
    """

    model: Any
    tokenizer: Any
    device: str
    dtype: str
    model_id: str
    revision: str
    kind: str = SEQ2SEQ


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or Path(name).expanduser().exists()


def checkpoint_fingerprint(directory: Path) -> str:
    """A cheap content id of a local checkpoint: its configs plus the size, head and tail of each weight file."""
    digest = hashlib.sha256()
    for file in sorted(directory.iterdir()):
        if file.suffix == ".json" and "config" in file.name:
            digest.update(file.name.encode() + file.read_bytes())
        elif file.suffix in (".safetensors", ".bin"):
            size = file.stat().st_size
            digest.update(f"{file.name}:{size}".encode())
            with file.open("rb") as handle:
                digest.update(handle.read(1 << 20))
                handle.seek(max(0, size - (1 << 20)))
                digest.update(handle.read())
    return "sha256:" + digest.hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """Where a checkpoint is loaded from: a directory, or a hub id when ``local`` is false."""

    location: str
    local: bool


def checkpoint_location(name: str) -> Checkpoint:
    """Where to load ``name`` from: a local checkpoint directory, or else a hub id.

    Raises:
        LongsumError: a local path that does not exist or holds no checkpoint.
    """
    if _looks_like_path(name):
        path = Path(name).expanduser()
        if not path.exists():
            raise LongsumError(f"model directory not found: {name}")
        if not path.is_dir() or not (path / "config.json").exists():
            raise LongsumError(f"{name} is not a checkpoint directory (no config.json)")
        return Checkpoint(str(path), True)
    return Checkpoint(name, False)


def _remote_code_refused(model: str) -> LongsumError:
    return LongsumError(
        f"{model!r} ships its own modeling code; pass --trust-remote-code to run it (only for checkpoints you trust)"
    )


def _refuse_new_weights(model: str, info: dict[str, Any], kind: str = SEQ2SEQ) -> None:
    """Refuse a checkpoint that left weights newly initialized: its summaries would come from random weights.

    transformers only logs this (e.g. a ``LongT5Model`` or ``LongT5EncoderModel`` checkpoint has no LM
    head, so the head is filled at random).

    Raises:
        LongsumError: naming the first missing weights.
    """
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise LongsumError(
            f"{model!r} lacks weights a {kind} LM needs ({shown}); transformers would fill them at random. "
            "Is it a base or encoder-only checkpoint without an LM head?"
        )


def checkpoint_kind(config: Any) -> str | None:
    """``seq2seq`` for an encoder-decoder config, ``causal`` for a decoder-only LM, ``None`` for anything else.

    A causal LM is a config ``AutoModelForCausalLM`` maps whose saved architecture is a causal LM (that class, or a
    ``...ForCausalLM`` / ``...LMHeadModel``), or one whose shipped code declares ``AutoModelForCausalLM``. The mapping
    alone is not enough: it also maps encoders such as BERT, whose masked-LM checkpoints are no text generators.
    """
    from transformers import MODEL_FOR_CAUSAL_LM_MAPPING

    if config.is_encoder_decoder:
        return SEQ2SEQ
    if "AutoModelForCausalLM" in (getattr(config, "auto_map", None) or {}):
        return CAUSAL
    if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING:
        return None
    causal_class = getattr(MODEL_FOR_CAUSAL_LM_MAPPING[type(config)], "__name__", None)
    architectures = getattr(config, "architectures", None) or []
    if any(name == causal_class or name.endswith(("ForCausalLM", "LMHeadModel")) for name in architectures):
        return CAUSAL
    return CAUSAL if not architectures and getattr(config, "is_decoder", False) else None


def load_model(settings: ModelSettings, checkpoint: Checkpoint | None = None) -> LoadedModel:
    """Load the tokenizer and the seq2seq or causal LM ``settings`` names, in eval mode on the chosen device and dtype.

    ``checkpoint`` says where its files are (the resolver passes the directory of a built-in model); by default
    ``settings.model`` is a local directory or a hub id.

    Raises:
        LongsumError: the checkpoint cannot be found, is neither seq2seq nor a causal LM, lacks weights, ships code
            not trusted, or the device/dtype is unavailable.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    from longsum.sources.hub import hub_reachable

    device = resolve_device(settings.device, torch.cuda.is_available(), torch.cuda.device_count())
    if device == "cpu":
        keep_freed_memory()
    bf16 = torch.cuda.is_bf16_supported() if device.startswith("cuda") else cpu_has_native_bf16()
    dtype = choose_dtype(settings.dtype, device, bf16)
    checkpoint = checkpoint or checkpoint_location(settings.model)
    location, local = checkpoint.location, checkpoint.local
    # Offline, fall back to the local cache at once instead of waiting out the hub client's retries.
    offline = not local and not hub_reachable()
    common: dict[str, Any] = {
        "revision": settings.revision,
        "local_files_only": offline,
        "trust_remote_code": settings.trust_remote_code,
    }
    try:
        config = AutoConfig.from_pretrained(location, **common)
    except OSError as err:
        if offline:
            raise LongsumError(
                f"cannot reach the Hugging Face Hub and {settings.model!r} is not in the local cache; "
                "pass a local checkpoint directory, or --model builtin for the built-in demonstration model"
            ) from None
        raise LongsumError(f"cannot load model {settings.model!r}: {str(err).splitlines()[0]}") from None
    except ValueError as err:
        if "trust_remote_code" in str(err):
            raise _remote_code_refused(settings.model) from None
        raise LongsumError(f"cannot load model {settings.model!r}: {str(err).splitlines()[0]}") from None
    kind = checkpoint_kind(config)
    if kind is None:
        raise LongsumError(
            f"{settings.model!r} is a {config.model_type} model, not an encoder-decoder (seq2seq) or causal LM "
            "checkpoint"
        )
    auto_class: Any = AutoModelForSeq2SeqLM if kind == SEQ2SEQ else AutoModelForCausalLM
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **common)
        model, info = auto_class.from_pretrained(
            location, config=config, dtype=torch_dtype(dtype), device_map=device, output_loading_info=True, **common
        )
    except (OSError, ValueError) as err:
        if "trust_remote_code" in str(err):
            raise _remote_code_refused(settings.model) from None
        raise LongsumError(f"cannot load model {settings.model!r}: {str(err).splitlines()[0]}") from None
    _refuse_new_weights(settings.model, info, kind)
    model.eval()
    revision = (
        checkpoint_fingerprint(Path(location))
        if local
        else getattr(config, "_commit_hash", None) or settings.revision or "main"
    )
    return LoadedModel(model, tokenizer, device, dtype, settings.model, revision, kind)


def load_tokenizer(name: str) -> Any:
    """The tokenizer of a local checkpoint directory or hub id alone (a served model's ``--tokenizer``).

    Raises:
        LongsumError: it cannot be found or loaded.
    """
    from transformers import AutoTokenizer

    from longsum.sources.hub import hub_reachable

    checkpoint = checkpoint_location(name)
    try:
        offline = not checkpoint.local and not hub_reachable()
        return AutoTokenizer.from_pretrained(checkpoint.location, local_files_only=offline)
    except (OSError, ValueError) as err:
        raise LongsumError(f"cannot load tokenizer {name!r}: {str(err).splitlines()[0]}") from None
