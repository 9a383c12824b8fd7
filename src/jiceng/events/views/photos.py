"""A case's photos: an uploaded one stored against the case, and those the case page shows."""

from __future__ import annotations

from django.conf import settings

from jiceng.core.models import Attachment
from jiceng.core.uploads import attachment_store

from ..models import Event


def _photos(event: Event) -> list[str]:
    """The case's photos: those named on the case and its steps, and any stored for it."""
    urls = list(event.photos or [])
    stored = Attachment.objects.filter(owner_type="events.event", owner_id=str(event.pk)).order_by("created_at")
    urls += [f"/files/{a.pk}/" for a in stored if f"/files/{a.pk}/" not in urls]
    return urls


def _store_photo(request, form, event: Event, purpose: str) -> list[str]:
    upload = form.cleaned_data.get("photo")
    if not upload:
        return []
    stored = attachment_store(actor=request.user if request.user.is_authenticated else None,
                              data=upload.read(settings.JICENG_UPLOAD_MAX_BYTES + 1), owner=event, purpose=purpose)
    return [f"/files/{stored.pk}/"]
