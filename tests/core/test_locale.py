"""English through Django's i18n: every marked string of the interface is translated, the
compiled catalogue matches its source, placeholders survive, and a page in English is in English."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]|\{\d*\}")


def entries():
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_string_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    # no leftovers of a fuzzy match ("#| msgctxt" alone is a syntax error to the next makemessages)
    assert [e.msgid for e in po if e.previous_msgctxt or e.previous_msgid or e.previous_msgid_plural] == []


def test_placeholders_survive_translation():
    wrong = []
    for e in entries():
        want = sorted(PLACEHOLDER.findall(e.msgid))
        outs = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        wrong += [e.msgid for out in outs if sorted(PLACEHOLDER.findall(out)) != want
                  and not (e.msgid_plural and sorted(PLACEHOLDER.findall(out)) == sorted(PLACEHOLDER.findall(e.msgid_plural)))]
    assert wrong == []


def test_the_compiled_catalogue_matches_its_source():
    """Run scripts/compile_messages.py after editing django.po."""
    with open(PO.with_suffix(".mo"), "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in entries():
        if e.msgid_plural:
            got = [mo.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            if got != [e.msgstr_plural[0], e.msgstr_plural[1]]:
                stale.append(e.msgid)
        elif (mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt else mo.gettext(e.msgid)) != e.msgstr:
            stale.append(e.msgid)
    assert stale == []


@pytest.mark.django_db
def test_a_page_in_english_is_in_english():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/events/report/"})
    page = client.get("/events/report/").content.decode()
    assert '<html lang="en"' in page
    assert "我要反映问题" not in page  # the page title, translated
    assert "中文" in page or "简体中文" in page  # the way back
