"""Imports paid while the process would otherwise wait.

An in-process ingest spends its parse step waiting on the parse workers, then imports seconds of
libraries for the steps after it (Great Expectations alone takes 3-5 s, matplotlib about 1 s). Started
when the parse begins, a background thread imports them during the wait instead of after it. Only
imports happen here: each step still imports what it needs itself, so a failure here is silent and
changes nothing but the timing.

A step that imports those libraries itself first waits for the background imports to end
(``wait_for_background_imports``): two threads importing one package graph at once (Great Expectations and
SQLAlchemy import themselves in cycles) can hand one of them a partially initialized module, which failed
a short run whose parse ended before the imports did.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading

# What the load and quality steps import (agency lookup -> pandas; GX; the failures chart).
DOWNSTREAM_MODULES = ("pandas", "cpca", "great_expectations", "matplotlib.pyplot")
# The same when GX judges in a process of its own (pipelines/lib/judge/gx_process.py).
DOWNSTREAM_MODULES_BUT_GX = tuple(m for m in DOWNSTREAM_MODULES if m != "great_expectations")
# Imported here, in the calling thread, before the background thread starts: GX imports SQLAlchemy's ORM,
# which registers an inspector on every SQLAlchemy statement before its own exceptions module is loaded, so
# Dagster's event-log queries in the run's main thread failed while the background thread was half-way
# through it ("partially initialized module 'sqlalchemy.orm.exc'"; `make demo` failed so once).
IMPORT_FIRST = ("sqlalchemy.orm",)


_started: dict[tuple[str, ...], threading.Thread] = {}  # by the modules it imports: one thread each


def wait_for_background_imports() -> None:
    """Block until the background imports (if any were started in this process) have ended."""
    for thread in list(_started.values()):
        thread.join()


def import_in_background(modules: tuple[str, ...] = DOWNSTREAM_MODULES) -> threading.Thread:
    """Start importing ``modules`` in a daemon thread; returns the thread. Started once per process and set
    of modules: a second call returns the first thread."""
    if modules in _started:
        return _started[modules]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # as gx_bridge sets it before its import
    os.environ.setdefault("MPLBACKEND", "Agg")  # no display: the chart is rendered to a PNG
    for name in IMPORT_FIRST if "great_expectations" in modules else ():
        with contextlib.suppress(ImportError):
            importlib.import_module(name)

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - the step that needs it imports it again and reports it
                continue

    thread = _started[modules] = threading.Thread(target=run, name="gongkai-preload", daemon=True)
    thread.start()
    return thread
