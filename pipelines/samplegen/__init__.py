"""Synthetic sample reports: a random but internally consistent truth, rendered as TXT, HTML, DOCX or PDF.

The project may not ship third-party reports, so its sample inbox and its round-trip tests use
documents generated here. ``truth.generate_truth`` makes the numbers; each ``render_*`` module turns
a truth into the bytes of one document format (``render(truth) -> bytes``).
"""
