"""Every template's <title> block is text: markup there ends up in the browser's title bar, and a
page's content pasted into it (as happened twice) shows nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TITLE = re.compile(r"{%\s*block title\s*%}(.*?){%\s*endblock", re.S)
HEAD = re.compile(r"{%\s*block head\s*%}(.*?){%\s*endblock", re.S)


def templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(p for p in root.rglob("templates/**/*.html") if "vendor" not in p.parts)


def test_title_blocks_hold_no_markup_and_head_blocks_no_page_content():
    wrong = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for block in TITLE.findall(text):
            if "<" in block:
                wrong.append(f"{path.name}: title")
        for block in HEAD.findall(text):
            if re.search(r"<(section|div|table|h[1-6]|form)\b", block):
                wrong.append(f"{path.name}: head")
    assert templates() and wrong == []


EXPORT_LINK = re.compile(r"<a\b[^>]*>\s*{%\s*translate \"导出 Excel\"\s*%}\s*</a>")


def test_every_excel_export_link_shows_that_the_file_is_being_made():
    """An export takes seconds for a county; without ``data-busy`` (js/jiceng.js) the link looks
    dead and gets clicked again."""
    links = [(path.name, link) for path in templates() for link in EXPORT_LINK.findall(path.read_text(encoding="utf-8"))]
    assert len(links) >= 5
    assert [name for name, link in links if "data-busy=" not in link] == []
