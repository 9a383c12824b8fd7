"""The 说明/佐证 column of an account's ledger (alice, 甲社区's staff, reads 张三's): a photo is a link that
opens it, a worker's words are marked as the evidence, an automatic award shows no internal reference
(signup:17) and a line without evidence shows its note and nothing else."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from jiceng.core.models import Attachment
from jiceng.engagement import services
from jiceng.engagement.choices import RegistrationKind
from jiceng.engagement.models import PointEntry

from .conftest import at


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def _evidence_cells(html: str) -> list[str]:
    """The 说明/佐证 cell (the fourth) of each ledger row, tags kept, spaces squeezed."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.sub(r"\s+", " ", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[3]).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_evidence_column_shows_what_there_is_and_nothing_else(eng, login):
    alice = eng.county.alice
    services.points_award(actor=alice, rule=eng.r_sort, resident=eng.zhang, evidence="督导员现场核实", now=at(2))
    services.points_award(actor=alice, rule=eng.r_litter, resident=eng.zhang, note="楼下乱扔烟头", now=at(3))
    photo_entry = services.points_award(actor=alice, rule=eng.r_sort, resident=eng.zhang, evidence_photo=_photo(),
                                        now=at(4))
    activity = services.activity_create(actor=alice, community=eng.county.a, title="清扫楼道", starts_at=at(10, 9),
                                        ends_at=at(10, 11), capacity=5)
    registration = services.registration_create(actor=alice, community=eng.county.a,
                                                kind=RegistrationKind.VOLUNTEER, resident=eng.zhang)
    signup = services.signup_create(actor=alice, activity=activity, registration=registration, now=at(1))
    services.signup_check_in(actor=alice, signup=signup, now=at(10, 9))
    services.signup_check_out(actor=alice, signup=signup, now=at(10, 11))
    auto = PointEntry.objects.get(source_type="signup")
    assert auto.evidence == f"signup:{signup.pk}"  # what the service records

    client = login(alice)
    html = client.get(reverse("engagement-staff-account", args=[eng.zhang.point_account.pk])).content.decode()
    attachment = Attachment.objects.get()
    photo_url = reverse("attachment", args=[attachment.pk])
    assert photo_entry.evidence == f"attachment:{attachment.pk}"
    # newest first: the sign-up's award, the photo, the deduction without evidence, the words
    auto_cell, photo_cell, bare_cell, words_cell = _evidence_cells(html)
    assert auto_cell == auto.note and "signup:" not in auto_cell
    assert re.sub(r"<[^>]+>", "", photo_cell).strip() == "佐证照片"
    assert f'<a href="{photo_url}"' in photo_cell and "attachment:" not in photo_cell
    assert words_cell == '<span class="muted">佐证：督导员现场核实</span>'
    assert bare_cell == "楼下乱扔烟头"
    opened = client.get(photo_url)
    assert opened.status_code == 200 and opened["Content-Type"] == "image/jpeg"
