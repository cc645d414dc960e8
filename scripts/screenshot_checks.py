"""Screenshot of the Dagster asset-check page for docs/ (run against a live `gongkai ui`).

Needs `pip install playwright` and a Chromium (Debian: apt-get install chromium). Not part of the tests.
Usage: python scripts/screenshot_checks.py [URL] [OUT.png] [CHECK]
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000/assets/quality_results?view=checks"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/asset-checks.png"
check = sys.argv[3] if len(sys.argv) > 3 else "R2_outcomes"

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
    page = browser.new_page(viewport={"width": 1500, "height": 1250})
    page.goto(url, wait_until="networkidle")
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
    page.get_by_text(check, exact=True).first.click()
    page.wait_for_timeout(2500)
    show = page.get_by_text("[Show Markdown]")
    if show.count():
        show.first.click()  # the failing-scopes table opens in a dialog
        page.wait_for_timeout(1000)
    page.screenshot(path=out)
    browser.close()
print(f"wrote {out}")
