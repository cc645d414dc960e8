"""The parsing/harmonizing core knows nothing of Dagster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "pipelines" / "lib"


def test_no_dagster_import_in_lib_sources() -> None:
    offenders = [str(p) for p in LIB.rglob("*.py") if "import dagster" in p.read_text(encoding="utf-8")
                 or "from dagster" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_lib_imports_without_loading_dagster() -> None:
    code = ("import sys, pipelines.lib.read.fanout, pipelines.lib.load.loader, pipelines.lib.load.documents, pipelines.lib.judge.quality, pipelines.lib.serve.export; "
            "sys.exit(1 if 'dagster' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
