"""The in-process ingest imports later steps' libraries while its parse workers run (pipelines/lib/preload.py):
the imports happen, and a module that cannot be imported changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_sqlalchemy_orm_is_whole_before_the_background_thread_starts() -> None:
    # Fresh interpreter: the ORM must be imported by the caller, not half-way in the thread while Dagster's
    # main thread runs SQLAlchemy statements (an intermittent failed run).
    code = ("import sys\n"
            "from pipelines.lib import preload\n"
            "assert 'sqlalchemy.orm' not in sys.modules\n"
            "preload.import_in_background(('great_expectations',))\n"  # GX imports the ORM in the thread
            "assert hasattr(sys.modules['sqlalchemy.orm.exc'], 'UnmappedClassError')\n"
            "preload.wait_for_background_imports()\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


def test_without_gx_in_the_thread_the_caller_does_not_import_the_orm() -> None:
    # Where GX judges in a process of its own, nothing here needs SQLAlchemy's ORM (0.2 s in the run's thread).
    code = ("import sys\n"
            "from pipelines.lib import preload\n"
            "preload.import_in_background(('colorsys',))\n"
            "preload.wait_for_background_imports()\n"
            "assert 'sqlalchemy.orm' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
