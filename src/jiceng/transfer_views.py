"""Excel import, templates and export pages for regions, grids, grid workers, residents and the
event category catalogue.

Thin: parse the form, call the kind's transfer (``regions.transfer`` / ``people.transfer`` /
``events.transfer``),
render. Every rule (scope, permissions, row checks, masking, audit) lives in those modules.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.errors import ApplicationError, PermissionDeniedError
from jiceng.core.excel import BadWorkbook, ImportRejected, Transfer
from jiceng.core.exports import export_page_url
from jiceng.events.transfer import TRANSFERS as EVENT_TRANSFERS
from jiceng.people.transfer import TRANSFERS as PEOPLE_TRANSFERS
from jiceng.regions.transfer import TRANSFERS as REGION_TRANSFERS

TRANSFERS: dict[str, Transfer] = {**REGION_TRANSFERS, **PEOPLE_TRANSFERS, **EVENT_TRANSFERS}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("数据类型"), choices=[(k, t.label) for k, t in TRANSFERS.items()])
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-"
                                                                            "officedocument.spreadsheetml.sheet"}))

    def __init__(self, *args, offered: list[Transfer], **kwargs):
        """The drop-down offers the kinds the actor may import; any known kind still validates, so
        that a forbidden one is refused by its transfer's guard with the reason (403)."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.choices = [(t.kind, t.label) for t in offered]


def importable(actor) -> list[Transfer]:
    return [t for t in TRANSFERS.values() if t.may_import(actor)]


def _transfer(kind: str) -> Transfer:
    try:
        return TRANSFERS[kind]
    except KeyError as exc:
        raise Http404(_("未知的数据类型")) from exc


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    offered = importable(request.user)
    if not offered and request.method != "POST":
        raise PermissionDenied(_("您的角色不能导入数据。"))
    context: dict = {"kinds": offered, "offered": {t.kind for t in offered}}
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, offered=offered)
        if form.is_valid():
            transfer = TRANSFERS[form.cleaned_data["kind"]]
            try:
                created = transfer.run_import(actor=request.user, upload=form.cleaned_data["file"])
            except ImportRejected as exc:
                context["row_errors"] = exc.row_errors
                form.add_error(None, _("导入失败，未导入任何数据。请按下表改正后重新上传。"))
                status = 400
            except PermissionDeniedError as exc:
                form.add_error(None, exc.message)
                status = 403
            except (BadWorkbook, ApplicationError) as exc:
                form.add_error("file" if exc.field == "file" else None, exc.message)
                status = 400
            else:
                context["created"] = created
                context["created_label"] = transfer.label
                context["created_verb"] = transfer.import_verb
                form = ImportForm(initial={"kind": transfer.kind}, offered=offered)
        else:
            status = 400
    else:
        wanted = request.GET.get("kind", "residents")
        form = ImportForm(initial={"kind": wanted if wanted in context["offered"] else offered[0].kind},
                          offered=offered)
    context["form"] = form
    return render(request, "transfer/import.html", context, status=status)


@login_required
@require_GET
def template_view(request: HttpRequest, kind: str) -> HttpResponse:
    return _transfer(kind).template_response(request.user)


@login_required
@require_GET
def export_view(request: HttpRequest, kind: str) -> HttpResponse:
    transfer = _transfer(kind)
    try:
        export = transfer.export_file(actor=request.user, params=request.GET)
    except ApplicationError as exc:
        return render(request, "transfer/export_error.html", {"message": exc.message, "transfer": transfer},
                      status=exc.status)
    return redirect(export_page_url(export))
