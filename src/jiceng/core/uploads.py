"""Image uploads: checked by content (never by name or declared type), size- and pixel-limited,
re-encoded (which drops EXIF and anything hidden after the image data), stored under a random
name outside the static root. GPS is read from EXIF only when the caller asks (a case's photo may
locate the case) and never kept in the stored file."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .audit import audit_record
from .errors import ApplicationError
from .models import Attachment

ALLOWED = {"JPEG", "PNG", "WEBP", "GIF"}


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    location: tuple[float, float] | None  # (lng, lat) from EXIF GPS, only when asked for


def _gps_to_degrees(values, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    return -degrees if ref in ("S", "W") else degrees


def _exif_location(image: Image.Image) -> tuple[float, float] | None:
    gps = image.getexif().get_ifd(0x8825)
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat = _gps_to_degrees(gps.get(2), gps.get(1))
    lng = _gps_to_degrees(gps.get(4), gps.get(3))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return (lng, lat)


def image_clean(data: bytes, *, field: str = "photo", keep_location: bool = False) -> CleanImage:
    if len(data) == 0:
        raise ApplicationError(_("文件为空。"), field=field)
    if len(data) > settings.JICENG_UPLOAD_MAX_BYTES:
        raise ApplicationError(_("图片不能超过 %(max)s MB。") % {
            "max": settings.JICENG_UPLOAD_MAX_BYTES // (1024 * 1024)}, field=field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED:
                raise ApplicationError(_("只接受 JPEG、PNG、WebP 或 GIF 图片。"), field=field)
            if width * height > settings.JICENG_UPLOAD_MAX_PIXELS:
                raise ApplicationError(_("图片像素过多。"), field=field)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            location = _exif_location(image) if keep_location else None
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
            out = io.BytesIO()
            if has_alpha:
                image.convert("RGBA").save(out, "PNG", optimize=True)
                content_type, extension = "image/png", ".png"
            else:
                image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
                content_type, extension = "image/jpeg", ".jpg"
            width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise ApplicationError(_("文件不是有效的图片。"), field=field) from exc
    return CleanImage(out.getvalue(), content_type, extension, width, height, location)


class PhotoField(forms.ImageField):
    """A form's photo checked as it will be stored (``image_clean``: size, pixels, a real image)
    while the form is validated, so a photo that would be refused is a field error before anything
    is saved — never a case filed or points recorded without it."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            upload.seek(0)
            try:
                image_clean(upload.read(settings.JICENG_UPLOAD_MAX_BYTES + 1))
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from None
            upload.seek(0)
        return upload


def storage_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "private"


@transaction.atomic
def attachment_store(*, actor, data: bytes, owner: models.Model, purpose: str = "", field: str = "photo",
                     keep_location: bool = False) -> Attachment:
    """Clean and store an image for ``owner``; audited. The file is written before the row so a
    failure leaves at most an orphan file, never a row without its file."""
    image = image_clean(data, field=field, keep_location=keep_location)
    attachment_id = uuid.uuid4()
    now = timezone.now()
    relative = f"{now:%Y/%m}/{attachment_id.hex}{image.extension}"
    target = storage_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(image.content)
    target.chmod(0o600)
    attachment = Attachment.objects.create(
        id=attachment_id, owner_type=owner._meta.label_lower, owner_id=str(owner.pk), purpose=purpose,
        path=relative, content_type=image.content_type, size=len(image.content), width=image.width,
        height=image.height, sha256=hashlib.sha256(image.content).hexdigest(),
        location_lng=image.location[0] if image.location else None,
        location_lat=image.location[1] if image.location else None,
        uploaded_by_id=getattr(actor, "pk", None),
    )
    audit_record(actor=actor, action="attachment.store", obj=owner,
                 changes={"attachment": [None, str(attachment_id)], "purpose": [None, purpose],
                          "bytes": [None, attachment.size]})
    return attachment


def attachment_read(attachment: Attachment) -> bytes:
    return (storage_root() / attachment.path).read_bytes()
