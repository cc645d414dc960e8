"""Imported once by the parse workers' fork server, so every worker it forks starts warm.

A fresh worker spent ~0.4 s on its first document: pandas (~0.28 s; pyarrow imports it the first time it
builds an array, to check whether the input is a pandas object) and the code table from codes.yaml
(~0.08 s). Done here once, each forked worker shares them copy-on-write.
"""

from __future__ import annotations

import pandas  # noqa: F401 - imported by pyarrow's first array anyway; here once for all workers

from pipelines.lib.codes import load_codes

load_codes()
