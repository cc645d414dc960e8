"""Crawler text in which a table's cells run together (placeholder until the recovery lands)."""

from __future__ import annotations

from ..model import DocumentRejected
from . import Extracted


def read_crawler_text(text: str) -> Extracted:
    raise DocumentRejected("parse", "cells_run_together",
                           "The tables in this text have lost their cell separators (e.g. "
                           "'本年新收政府信息公开申请数量801000081'); recovering them is not implemented yet.")
