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


def test_djangos_own_messages_read_as_chinese_on_the_chinese_interface():
    """Django's catalogue leaves the password length check in English (its wording changed) and ends
    some messages with an ASCII stop; locale/zh_Hans corrects those, and the label colon."""
    from django import forms
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as err:
            validate_password("abc123")
        assert "密码太短，至少需要 8 个字符。" in err.value.messages
        with pytest.raises(ValidationError) as err:
            forms.DecimalField(decimal_places=2).clean("1.234")
        assert err.value.messages == ["确认小数不超过 2 位。"]

        class Named(forms.Form):
            name = forms.CharField(label="姓名")

        assert Named()["name"].label_tag().endswith("姓名：</label>")
    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            validate_password("abc123")
        assert "This password is too short. It must contain at least 8 characters." in err.value.messages
