"""Serve: what users read: exports, the data dictionary, the HTML quality report."""
