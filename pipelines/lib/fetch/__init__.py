"""Fetch: bring published reports from the agencies' websites into the inbox (before read/).

registry (which sites), pages (what a page links to), client (polite, safe HTTP), store (files into the
inbox), record (provenance and the request log in the warehouse), crawl (one run over the registry).
"""
