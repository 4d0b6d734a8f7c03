"""Built pages as a reader sees them: Debian's headless Chromium renders a page (scripts run)
and its text comes back, whitespace collapsed; a screenshot is kept for people to look at.
Used by the book's rendering tests (test_book_render.py, test_userbook_book.py)."""

import html
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--virtual-time-budget=3000"]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def rendered_text(page: Path, screenshot: Path) -> str:
    """The text of the HTML file ``page`` after Chromium has rendered it, whitespace collapsed;
    its screenshot goes to ``screenshot`` (a .png path)."""
    url = page.as_uri()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        common = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True,
                             timeout=180, check=True).stdout
        subprocess.run([*common, "--window-size=1400,2400", f"--screenshot={screenshot}",
                        url], capture_output=True, timeout=180, check=True)
    parser = _Text()
    parser.feed(dom)
    return re.sub(r"\s+", " ", html.unescape(" ".join(parser.parts)))
