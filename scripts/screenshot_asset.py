"""Screenshot of a Dagster asset page (its metadata tables) for docs/, against a live `gongkai ui`.

Needs `pip install playwright` in .venv and Debian's chromium. Not part of the tests.
Usage: python scripts/screenshot_asset.py URL OUT.png [METADATA_KEY]
"""

from __future__ import annotations

import contextlib
import sys

from playwright.sync_api import sync_playwright

url, out = sys.argv[1], sys.argv[2]
key = sys.argv[3] if len(sys.argv) > 3 else None

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.goto(url, wait_until="networkidle")
    with contextlib.suppress(Exception):  # the first visit shows a newsletter dialog; later ones do not
        page.get_by_role("button", name="Skip").first.click(timeout=8000)
    page.wait_for_timeout(1500)
    if key:
        page.get_by_text(key, exact=True).first.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
    page.screenshot(path=out)
    browser.close()
print(f"wrote {out}")
