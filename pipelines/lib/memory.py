"""Memory handed back between large pieces of work, so a long-lived process stays the size of one piece."""

from __future__ import annotations

import contextlib
import ctypes
import gc


def give_memory_back() -> None:
    """Collect what the last piece of work left and return glibc's freed heap to the system, so the process
    stays the size of one piece instead of keeping every piece's high-water mark."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the allocator keeps what it keeps
        ctypes.CDLL("libc.so.6").malloc_trim(0)
