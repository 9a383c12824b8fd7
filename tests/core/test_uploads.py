"""Uploads: images only, by content; re-encoded without EXIF; served only within scope."""

import io

import pytest
from PIL import Image

from jiceng.core.errors import ApplicationError
from jiceng.core.models import Attachment, AuditLog
from jiceng.core.uploads import attachment_store, image_clean


def jpeg_with_gps(lng=118.7, lat=27.5) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    # GPS IFD: latitude 27°30'0" N, longitude 118°42'0" E
    exif[0x8825] = {1: "N", 2: (27.0, 30.0, 0.0), 3: "E", 4: (118.0, 42.0, 0.0)}
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_jpeg_with_gps_comes_back_without_it_and_the_location_is_read_only_when_asked():
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the input carries GPS
    clean = image_clean(data)
    stored = Image.open(io.BytesIO(clean.content))
    assert not stored.getexif().get_ifd(0x8825)
    assert 0x010F not in stored.getexif()
    assert clean.location is None
    located = image_clean(data, keep_location=True)
    assert located.location == pytest.approx((118.7, 27.5))
    assert not Image.open(io.BytesIO(located.content)).getexif().get_ifd(0x8825)


@pytest.mark.parametrize("payload", [
    b"<?php system($_GET['c']); ?>",
    b"GIF89a<script>alert(1)</script>",
    b"\xff\xd8\xff\xe0 not really a jpeg",
    b"%PDF-1.4\n1 0 obj<<>>endobj",
])
def test_a_crafted_non_image_is_refused_whatever_its_name(payload):
    with pytest.raises(ApplicationError) as err:
        image_clean(payload, field="photo")
    assert err.value.field == "photo"


def test_an_empty_or_oversized_or_too_many_pixels_upload_is_refused(settings):
    with pytest.raises(ApplicationError):
        image_clean(b"")
    settings.JICENG_UPLOAD_MAX_BYTES = 100
    with pytest.raises(ApplicationError, match="MB"):
        image_clean(jpeg_with_gps())
    settings.JICENG_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    settings.JICENG_UPLOAD_MAX_PIXELS = 1000
    with pytest.raises(ApplicationError, match="像素"):
        image_clean(jpeg_with_gps())


def test_stored_attachment_is_audited_and_served_only_to_those_who_see_its_owner(county, login, client):
    attachment = attachment_store(actor=county.alice, data=jpeg_with_gps(), owner=county.a1_1, purpose="巡查照片")
    assert Attachment.objects.count() == 1
    assert AuditLog.objects.filter(action="attachment.store", object_id=str(county.a1_1.pk)).count() == 1
    assert "/static" not in attachment.path and attachment.path.endswith(".jpg")
    response = login(county.alice).get(f"/files/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(response.content)).getexif().get_ifd(0x8825)
    assert login(county.bob).get(f"/files/{attachment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/files/{attachment.pk}/").status_code == 404
