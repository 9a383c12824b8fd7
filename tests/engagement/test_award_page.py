"""The 评定积分 page: staff find the resident by name (and the last digits of a number, as the masked
lists show them) within their scope and pick a masked match — no internal IDs, nothing shown in
full; evidence is an uploaded photo (stored as an attachment of the account) or a text."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from jiceng.core.models import Attachment
from jiceng.engagement.models import PointAccount, PointEntry
from jiceng.people.selectors import resident_search
from jiceng.people.services import resident_create
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

URL = "engagement-staff-award"
ZHANG2_ID = make_id_number(birth="19500101", seq=31)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def namesakes(eng):
    """A second 张三 in 甲 with a phone and ID number, and one in 乙 (bob's)."""
    county = eng.county
    return (
        resident_create(actor=county.alice, name="张三", grid=county.a1_2, phone="13912340011", id_number=ZHANG2_ID),
        resident_create(actor=county.bob, name="张三", grid=county.b1, phone="13912340022"),
    )


def jpeg(name: str = "evidence.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 160, 60)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def offered(html: str) -> set[int]:
    block = html.split('id="resident-choices"')[1].split("</form>")[0]
    return {int(v) for v in re.findall(r'<input type="radio" name="resident" value="(\d+)"', block)}


def test_the_search_stays_in_scope_and_narrows_by_the_last_digits(eng, namesakes):
    alice = eng.county.alice
    mine, bobs = namesakes
    assert {r.pk for r in resident_search(actor=alice, q="张三")} == {eng.zhang.pk, mine.pk}
    assert [r.pk for r in resident_search(actor=alice, q="张三 0011")] == [mine.pk]  # phone's last 4
    assert [r.pk for r in resident_search(actor=alice, q=f"张 {ZHANG2_ID[-4:]}")] == [mine.pk]  # ID's last 4
    assert [r.pk for r in resident_search(actor=alice, q="13912340011")] == [mine.pk]  # a complete phone
    for typed in ("139-1234-0011", "+86 139 1234 0011", "0086 13912340011"):  # however it is typed
        assert [r.pk for r in resident_search(actor=alice, q=typed)] == [mine.pk], typed
    assert resident_search(actor=alice, q="139-1234-0022") == []  # bob's, out of alice's scope
    assert resident_search(actor=alice, q="13912340022") == []  # bob's, out of alice's scope
    assert resident_search(actor=alice, q="0011") == []  # a fragment alone finds nothing
    assert {r.pk for r in resident_search(actor=eng.county.bob, q="张三")} == {bobs.pk}


def test_the_page_asks_for_no_internal_id_or_storage_path(eng, login):
    html = login(eng.county.alice).get(reverse(URL)).content.decode()
    assert "居民 ID" not in html and "详情页地址" not in html and "存储路径" not in html
    assert 'type="file"' in html and 'name="evidence_photo"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="q"' in html and 'hx-target="#resident-choices"' in html and 'name="find"' in html


@pytest.mark.parametrize("htmx", [True, False])
def test_finding_a_resident_shows_masked_matches_in_scope(eng, namesakes, login, htmx):
    mine, bobs = namesakes
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = login(eng.county.alice).post(reverse(URL), {"q": "张三", "find": "1", "rule": eng.r_sort.pk},
                                             **headers)
    html = response.content.decode()
    assert response.status_code == 200 and not PointEntry.objects.exists()
    assert offered(html) == {eng.zhang.pk, mine.pk}
    assert "139****0011" in html and "13912340011" not in html
    assert ZHANG2_ID not in html and ZHANG2_ID[:4] + "*" * 10 + ZHANG2_ID[-4:] in html
    assert 'class="field-error"' not in html  # nothing validated while searching
    nothing = login(eng.county.alice).post(reverse(URL), {"q": "赵六", "find": "1"}).content.decode()
    assert offered(nothing) == set() and "没有找到" in nothing


def test_awarding_with_a_photo_stores_it_on_the_account_and_links_it(eng, namesakes, login):
    mine, _ = namesakes
    client = login(eng.county.alice)
    response = client.post(reverse(URL), {"q": "张三 0011", "rule": eng.r_sort.pk, "resident": mine.pk,
                                          "evidence_photo": jpeg()})
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = PointEntry.objects.get()
    account = PointAccount.objects.get(resident=mine)
    attachment = Attachment.objects.get()
    assert entry.account == account and entry.amount == eng.r_sort.points
    assert (attachment.owner_type, attachment.owner_id, attachment.purpose) == (
        "engagement.pointaccount", str(account.pk), "points_evidence")
    assert entry.evidence == f"attachment:{attachment.pk}"
    page = client.get(response["Location"]).content.decode()
    photo_url = reverse("attachment", args=[attachment.pk])
    assert f'href="{photo_url}"' in page
    assert client.get(photo_url).status_code == 200
    assert login(eng.county.bob).get(photo_url).status_code == 404


def test_a_file_that_is_no_image_is_a_field_error_and_nothing_is_recorded(eng, login):
    bad = SimpleUploadedFile("evidence.jpg", b"not an image", content_type="image/jpeg")
    response = login(eng.county.alice).post(reverse(URL), {"rule": eng.r_sort.pk, "resident": eng.zhang.pk,
                                                           "evidence_photo": bad})
    assert response.status_code == 400
    assert 'id="error-evidence_photo"' in response.content.decode()
    assert not PointEntry.objects.exists() and not Attachment.objects.exists()


def test_a_resident_out_of_scope_cannot_be_picked_by_posting_the_id(eng, namesakes, login):
    _, bobs = namesakes
    response = login(eng.county.alice).post(reverse(URL), {"rule": eng.r_litter.pk, "resident": bobs.pk})
    assert response.status_code == 400 and 'id="error-resident"' in response.content.decode()
    assert not PointEntry.objects.exists()
