"""Host memory kept in the process: large intermediates reuse freed pages instead of the kernel zeroing fresh ones.

glibc's malloc serves every block above its mmap threshold (128 KiB, adapting up to 32 MiB) with a fresh ``mmap``
and returns it to the kernel when freed, and trims the heap's free top above 128 KiB. A model on the CPU allocates
such blocks by the thousand (activations, scores, logits, caches), so the kernel faults in and zeroes new pages for
each of them: measured on the LongT5-base shape, several of every 17 CPU-seconds were the kernel's. Told to serve
them from its heap and keep what is freed, malloc hands the same pages out again. Allocation changes no arithmetic,
so no summary changes (tested); the cost is that the process keeps its peak heap until it exits.
Hand-written: PyTorch's own CPU caching allocator is not exposed to Python, and jemalloc or tcmalloc would have to
be preloaded before the process starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: ``mallopt`` parameters, from glibc's ``malloc.h``.
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
#: The free heap top glibc may keep before trimming: the most a C ``int`` holds.
KEEP_BYTES = 2**31 - 1


def keep_freed_memory() -> bool:
    """Have glibc's malloc serve large blocks from its heap (no ``mmap``) and keep freed memory (no trim); whether
    it took (``False`` on a C library without ``mallopt``, e.g. macOS or musl)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
