"""How often a long step reports its progress.

In a Dagster run each progress line is an event written to the instance's event log (~6-14 ms each on
this machine's SQLite): a line per 100 documents was 1,400 events, ~10 s of the run's own process, at
100,000 documents. A line every few seconds tells a person just as much.
"""

from __future__ import annotations

import time

PROGRESS_EVERY_S = 5.0


class Ticker:
    """Says when to report: at most once every ``every_s`` seconds, and always at the end."""

    def __init__(self, every_s: float = PROGRESS_EVERY_S):
        self.every_s = every_s
        self.last = time.monotonic()

    def due(self, final: bool = False) -> bool:
        now = time.monotonic()
        if final or now - self.last >= self.every_s:
            self.last = now
            return True
        return False
