"""Imports paid while the process would otherwise wait.

An in-process ingest spends its parse step waiting on the parse workers, then imports seconds of
libraries for the steps after it (Great Expectations alone takes 3-5 s, matplotlib about 1 s). Started
when the parse begins, a background thread imports them during the wait instead of after it. Only
imports happen here: each step still imports what it needs itself, so a failure here is silent and
changes nothing but the timing.
"""

from __future__ import annotations

import importlib
import os
import threading

# What the load and quality steps import (agency lookup -> pandas; GX; the failures chart).
DOWNSTREAM_MODULES = ("pandas", "cpca", "great_expectations", "matplotlib.pyplot")


def import_in_background(modules: tuple[str, ...] = DOWNSTREAM_MODULES) -> threading.Thread:
    """Start importing ``modules`` in a daemon thread; returns the thread (joined only by tests)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # as gx_bridge sets it before its import
    os.environ.setdefault("MPLBACKEND", "Agg")  # no display: the chart is rendered to a PNG

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - the step that needs it imports it again and reports it
                continue

    thread = threading.Thread(target=run, name="gongkai-preload", daemon=True)
    thread.start()
    return thread
