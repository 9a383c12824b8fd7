"""Serving stored attachments only to those who may see the owning record."""

from __future__ import annotations

from django.apps import apps
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from .errors import NotFoundError
from .exports import export_download
from .models import Attachment
from .scope import restrict
from .uploads import attachment_read


def attachment_visible(*, actor, attachment: Attachment) -> bool:
    """The owner's model decides: ``attachment_owner_visible(actor)`` (a queryset) if it defines
    one (events: handlers, whistled departments …), otherwise the data scope."""
    try:
        model = apps.get_model(attachment.owner_type)
    except (LookupError, ValueError):
        return False
    visible = getattr(model, "attachment_owner_visible", None)
    qs = visible(actor) if visible is not None else restrict(model._default_manager.all(), actor)
    return qs.filter(pk=attachment.owner_id).exists()


@require_GET
def attachment_download(request, pk):
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None or not request.user.is_authenticated or not attachment_visible(
            actor=request.user, attachment=attachment):
        raise Http404
    response = HttpResponse(attachment_read(attachment), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_GET
def export_file_download(request, pk):
    """An export's short-lived link: only for the user who made it, until it expires."""
    try:
        return export_download(actor=request.user, pk=pk)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
