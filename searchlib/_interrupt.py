"""Ctrl-C during a long write, taken where the run can stop cleanly.

Python raises ``KeyboardInterrupt`` wherever the signal lands: inside a
lock's release, or inside a ``__del__``, where it is printed as "Exception
ignored" and lost while the run goes on. The command line instead notes the
first Ctrl-C and stops at the run's next progress report, between two
documents, which the library already handles as a clean stop (the batch
being written is dropped, earlier ones stay). A second Ctrl-C interrupts at
once, for a run that reports no progress for long (a final merge).

Signal handlers belong to the program, not to a library: only the command
line uses this, and only in the main thread.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any, Optional, Type

__all__ = ["DeferredInterrupt"]


class DeferredInterrupt:
    """Within ``with``: a first SIGINT sets :attr:`requested`, and
    :meth:`check` raises ``KeyboardInterrupt`` once it has."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> "DeferredInterrupt":
        # Left alone where Ctrl-C is ignored (a run started in the background)
        # or already handled by the program embedding the command.
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, signum: int, frame: Optional[FrameType]) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)  # the next one interrupts at once

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        error: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
