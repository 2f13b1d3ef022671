"""Where a run's seconds go: wall time per phase, on the main thread or overlapped with it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class PhaseTimes:
    """Seconds per phase, kept apart for the main thread (the critical path) and for helper threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.main: dict[str, float] = {}
        self.overlapped: dict[str, float] = {}

    def add(self, phase: str, seconds: float, overlapped: bool = False) -> None:
        """Count ``seconds`` more for ``phase``; thread-safe."""
        with self._lock:
            table = self.overlapped if overlapped else self.main
            table[phase] = table.get(phase, 0.0) + seconds

    @contextmanager
    def timed(self, phase: str, overlapped: bool = False) -> Iterator[None]:
        """Count the ``with`` block's wall time for ``phase``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - start, overlapped)

    def iterate(self, items: Iterable[T], phase: str, overlapped: bool = False) -> Iterator[T]:
        """``items``, counting the time spent waiting for each one for ``phase``."""
        iterator = iter(items)
        while True:
            with self.timed(phase, overlapped):
                item = next(iterator, _END)
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def to_dict(self, wall_seconds: float) -> dict[str, Any]:
        """The breakdown: main-thread phases (``other`` is the wall time none of them covers) and overlapped ones."""
        with self._lock:
            main = dict(self.main)
            overlapped = dict(self.overlapped)
        main["other"] = max(0.0, wall_seconds - sum(main.values()))
        return {"wall_seconds": wall_seconds, "main_thread": main, "overlapped": overlapped}


_END = object()


class ModuleClock:
    """Wall seconds spent inside one module's forward calls, through forward hooks.

    Hooks see the module however it is called, so the encoder is timed alike when longsum calls
    it directly and when ``generate()`` calls it inside the docs recipe.
    """

    def __init__(self, module: Any, device: str, counts: Callable[[dict[str, Any]], bool] | None = None) -> None:
        self.seconds = 0.0
        self._start: float | None = None
        self._sync = device.startswith("cuda")
        # Which calls count, judged by their keyword arguments (all of them by default).
        self._counts = counts or (lambda _kwargs: True)
        module.register_forward_pre_hook(self._enter, with_kwargs=True)
        module.register_forward_hook(self._leave)

    def _now(self) -> float:
        if self._sync:
            # Kernels run asynchronously on a GPU: wait for them, or the time lands in the next phase.
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    def _enter(self, _module: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        self._start = self._now() if self._counts(kwargs) else None

    def _leave(self, *_: Any) -> None:
        if self._start is not None:
            self.seconds += self._now() - self._start
            self._start = None
