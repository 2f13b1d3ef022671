"""Data parallelism over processes started by torchrun or accelerate launch: who owns which document."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """This process's place among ``world`` processes; document ``i`` (in dataset order) belongs to rank
    ``i % world``."""

    rank: int = 0
    world: int = 1

    @property
    def distributed(self) -> bool:
        """Whether several processes share the run."""
        return self.world > 1

    @property
    def is_main(self) -> bool:
        """The process that merges, scores and reports."""
        return self.rank == 0

    def owns(self, position: int) -> bool:
        """Whether the document at ``position`` of the dataset is this process's to summarize."""
        return position % self.world == self.rank


def shard_from_environment() -> Shard:
    """The shard that torchrun / accelerate launch describe (``RANK``, ``WORLD_SIZE``), joining their process group.

    Uses torch.distributed directly: both launchers set its environment, and it needs nothing else
    (gloo on the CPU, nccl on CUDA).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Shard()
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return Shard(rank=dist.get_rank(), world=dist.get_world_size())


def local_device(requested: str, shard: Shard) -> str:
    """The device of this process: with several processes on CUDA, the GPU of its local rank."""
    if not shard.distributed or requested not in ("auto", "cuda"):
        return requested
    import torch

    if not torch.cuda.is_available():
        return requested
    return f"cuda:{int(os.environ.get('LOCAL_RANK', shard.rank)) % torch.cuda.device_count()}"
