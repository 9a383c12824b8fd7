"""Compile the interface translations (src/jiceng/locale/*/LC_MESSAGES/django.po → .mo) without
GNU gettext, so a fresh machine needs nothing beyond pip. The .mo files are committed; the test
suite checks they match their .po (tests/core/test_locale.py).

    .venv/bin/django-admin makemessages -l en --ignore "*/vendor/*"   # in src/jiceng: new strings
    # … translate the new msgstr entries in django.po …
    .venv/bin/python scripts/compile_messages.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src" / "jiceng" / "locale"


def main() -> int:
    found = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
    for po_path in found:
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"{po_path.relative_to(LOCALE.parent.parent.parent)}: {len(po.translated_entries())} translated, "
              f"{len(po.untranslated_entries())} untranslated, {len(po.fuzzy_entries())} fuzzy")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
