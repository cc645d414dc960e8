"""The in-process ingest imports later steps' libraries while its parse workers run (pipelines/lib/preload.py):
the imports happen, and a module that cannot be imported changes nothing."""

from __future__ import annotations

import sys

from pipelines.lib import preload


def test_modules_are_imported_in_the_background_and_a_missing_one_is_ignored() -> None:
    sys.modules.pop("colorsys", None)
    thread = preload.import_in_background(("no_such_module_gongkai", "colorsys"))
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "colorsys" in sys.modules
    assert "no_such_module_gongkai" not in sys.modules


def test_waiting_for_the_background_imports_returns_when_they_are_done() -> None:
    sys.modules.pop("wave", None)
    thread = preload.import_in_background(("wave",))
    assert preload.import_in_background(("wave",)) is thread  # started once per process
    preload.wait_for_background_imports()
    assert not thread.is_alive() and "wave" in sys.modules
