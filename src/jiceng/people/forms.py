"""Forms for the people pages: they parse input only. Rules (ID checksum, grid in community,
scope) live in the services; their ApplicationError is put back on the form with ``core.views.add_app_error``."""

from __future__ import annotations

import itertools
import json
from functools import cached_property

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.core.api_schemas import BIGINT_MAX
from jiceng.core.edits import as_posted, conflict_merge, opened_digests, version_of, version_parse
from jiceng.core.errors import NotFoundError
from jiceng.core.validators import id_number_error, phone_normalise
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.selectors import region_get, region_options

from .choices import PoliticalStatus, ResidenceType, ResidentTag, WorkerKind
from .selectors import house_options
from .services import person_phone_error

YES_NO = [("", _("全部")), ("1", _("是")), ("0", _("否"))]


def _with_blank(choices):
    return [("", _("全部")), *[(v, lab) for v, lab in choices if v != ""]]


class RegionLabelMixin:
    @staticmethod
    def region_label(region) -> str:
        indent = "\u3000" * max(region.depth - 1, 0)
        return f"{indent}{region.name}（{RegionLevel(region.level).label}）"


class _FilterForm(RegionLabelMixin, forms.Form):
    """Shared part of the list filters: a search box and a region subtree the actor may see.

    The region drop-down lists every visible node when there are few, else the levels down to
    社区/村 (plus the one chosen); any visible node can still be chosen with ``?region=<id>``.
    """

    MAX_OPTIONS = 1000

    q = forms.CharField(label=_("搜索"), required=False, max_length=50,
                        widget=forms.TextInput(attrs={"placeholder": _("姓名，或完整手机号/身份证号"),
                                                      "type": "search"}))
    region = forms.IntegerField(label=_("区域"), required=False, widget=forms.Select)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        options = list(region_options(actor=actor)[: self.MAX_OPTIONS + 1])
        if len(options) > self.MAX_OPTIONS:
            options = list(region_options(actor=actor, levels=range(1, RegionLevel.COMMUNITY + 1)))
        chosen = self.data.get("region") if self.is_bound else None
        if chosen and str(chosen).isdigit() and int(chosen) not in {r.pk for r in options}:
            options += list(region_options(actor=actor).filter(pk=int(chosen)))
        self.fields["region"].widget.choices = [("", _("全部区域")), *[
            (r.pk, self.region_label(r)) for r in options
        ]]

    def clean_region(self):
        pk = self.cleaned_data.get("region")
        if pk is None:
            return None
        try:
            if pk > BIGINT_MAX:
                raise NotFoundError("")
            return region_get(actor=self.actor, pk=pk)
        except NotFoundError as exc:
            raise forms.ValidationError(_("区域不存在，或不在您的范围内。"), code="not_found") from exc

    @staticmethod
    def yes_no(value: str) -> bool | None:
        return {"1": True, "0": False}.get(value)


class ResidentFilterForm(_FilterForm):
    tag = forms.ChoiceField(label=_("关爱标签"), required=False, choices=_with_blank(ResidentTag.choices))
    residence_type = forms.ChoiceField(label=_("人口类型"), required=False,
                                       choices=_with_blank(ResidenceType.choices))
    volunteer = forms.ChoiceField(label=_("志愿者"), required=False, choices=YES_NO)

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"q": data.get("q", ""), "region": data.get("region"), "tag": data.get("tag", ""),
                "residence_type": data.get("residence_type", ""),
                "is_volunteer": self.yes_no(data.get("volunteer", ""))}


class WorkerFilterForm(_FilterForm):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_with_blank(WorkerKind.choices))
    active = forms.ChoiceField(label=_("在岗"), required=False, choices=YES_NO)

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"q": data.get("q", ""), "region": data.get("region"), "kind": data.get("kind", ""),
                "active": self.yes_no(data.get("active", ""))}


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return RegionLabelMixin.region_label(obj)


class _RegionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return RegionLabelMixin.region_label(obj)


class _NumbersMixin:
    """ID number and phone checked with the rest of the form, so every wrong field shows at once
    (the services check again)."""

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "").strip().upper()
        if value and (error := id_number_error(value)):
            raise forms.ValidationError(error)
        return value

    landline = False  # a resident's phone may be a fixed line (``services.person_phone_error``)

    def clean_phone(self):
        value = phone_normalise(self.cleaned_data.get("phone", "").strip())  # as the services store it
        if value and (error := person_phone_error(value, landline=self.landline)):
            raise forms.ValidationError(error)
        return value


class ResidentCreateForm(_NumbersMixin, forms.Form):
    landline = True

    name = forms.CharField(label=_("姓名"), max_length=50)
    grid = _RegionChoiceField(label=_("所属网格"), queryset=None, empty_label=_("请选择网格"))
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            help_text=_("手机号，或带区号的固定电话（如 0599-2345678）。"))
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    residence_type = forms.ChoiceField(label=_("人口类型"), choices=ResidenceType.choices,
                                       initial=ResidenceType.REGISTERED)
    political_status = forms.ChoiceField(label=_("政治面貌"), choices=PoliticalStatus.choices,
                                         initial=PoliticalStatus.MASSES)
    is_volunteer = forms.BooleanField(label=_("志愿者"), required=False)
    tags = forms.MultipleChoiceField(label=_("关爱标签"), required=False, choices=ResidentTag.choices,
                                     widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = region_options(actor=actor, levels=GRID_LEVELS)


class _GridCheckboxField(forms.ModelMultipleChoiceField):
    """Grids of one community as checkboxes: the name and level only (no tree indent, which set
    the labels far from their boxes)."""

    def label_from_instance(self, obj):
        return f"{obj.name}（{RegionLevel(obj.level).label}）"


class WorkerCreateForm(_NumbersMixin, forms.Form):
    """负责网格 lists the grids of the chosen 所属社区/村 — for a 特聘 worker (a courier, a rider
    engaged by the street) the grids of every community of its street/town. The community and
    the kind are taken from the posted data, else from ``initial`` (``?community=`` or the 显示网格
    button without JavaScript); with HTMX a change of either reloads that one field."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    kind = forms.ChoiceField(label=_("类型"), choices=WorkerKind.choices, initial=WorkerKind.FULL_TIME)
    community = _RegionChoiceField(label=_("所属社区/村"), queryset=None, empty_label=_("请选择社区/村"))
    grids = _GridCheckboxField(label=_("负责网格"), queryset=None, required=False,
                               widget=forms.CheckboxSelectMultiple)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    occupation = forms.CharField(label=_("职业/身份"), max_length=50, required=False,
                                 help_text=_("特聘网格员填写职业，如快递员、外卖骑手。"))
    is_party_member = forms.BooleanField(label=_("党员"), required=False)
    joined_on = forms.DateField(label=_("入职日期"), required=False,
                                widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    # the field beside which, without JavaScript, a button reloads 负责网格 (posting ``reload_name``)
    reload_field, reload_name, reload_label = "community", "choose_community", _("显示该社区/村的网格")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        communities = region_options(actor=actor, levels=[RegionLevel.COMMUNITY])
        reload_grids = {
            "hx-post": self.reload_url(), "hx-trigger": "change", "hx-vals": json.dumps({self.reload_name: "1"}),
            "hx-select": "#grid-choices", "hx-target": "#grid-choices", "hx-swap": "outerHTML",
        }
        if "community" in self.fields:  # not on the edit form
            self.fields["community"].queryset = communities
            self.fields["community"].widget.attrs.update(reload_grids)
        self.fields["kind"].widget.attrs.update(reload_grids)
        # every visible grid validates (so a wrong one gets a message naming it); only the chosen
        # community's (a 特聘 worker: its street's) are offered
        self.fields["grids"].queryset = region_options(actor=actor, levels=GRID_LEVELS)
        self.chosen_community = self._chosen(communities)
        self.special = self._value("kind") == WorkerKind.SPECIAL
        self._street_grids = None  # (offered, community names, community_of) for ``grid_groups``
        grids = self.fields["grids"]
        area = self._grid_area(self.chosen_community, special=self.special)
        if area is None:
            grids.widget.choices = []
            grids.help_text = _("请先选择所属社区/村，这里会列出它的网格。")
            return
        offered = list(self._offered_grids(grids.queryset, area))
        if area == self.chosen_community:
            grids.widget.choices = [(g.pk, grids.label_from_instance(g)) for g in offered]
            grids.help_text = _("%(community)s的网格。") % {"community": area.name}
            return
        # a street's grids: each labelled with its community, its own community's first
        names = dict(region_options(actor=actor, levels=[RegionLevel.COMMUNITY])
                     .filter(path__startswith=area.path).values_list("path", "name"))

        def community_of(grid):
            return next((p for p in names if grid.path.startswith(p)), "")

        offered.sort(key=lambda g: (community_of(g) != self.chosen_community.path, community_of(g), g.path))
        grids.widget.choices = [(g.pk, grids.label_from_instance(g)) for g in offered]
        grids.help_text = _("特聘网格员可负责%(street)s各社区/村的网格。") % {"street": area.name}
        self._street_grids = (offered, names, community_of)

    @cached_property
    def grid_groups(self) -> list:
        """(community, open, its boxes) when a 特聘 worker is offered a street's grids: a street holds
        hundreds, so one folding group per community, its own (and any with a ticked grid) open.
        Built when the template asks: a box reads the form's errors, which must not be computed
        before ``__init__`` (a subclass's included) has finished with the fields."""
        if self._street_grids is None:
            return []
        offered, names, community_of = self._street_grids
        boxes = {str(box.data["value"]): box for box in self["grids"]}
        groups = []
        for path, group in itertools.groupby(offered, key=community_of):
            members = [boxes[str(g.pk)] for g in group]
            opened = path == self.chosen_community.path or any(b.data["selected"] for b in members)
            groups.append((names.get(path) or _("其他"), opened, members))
        return groups

    def reload_url(self) -> str:
        return reverse("worker-create")

    @staticmethod
    def _offered_grids(visible, area):
        return visible.filter(path__startswith=area.path)

    def _value(self, name):
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        return getattr(raw, "pk", raw)

    def _chosen(self, communities):
        raw = self._value("community")
        if raw in (None, "") or not str(raw).isdigit() or int(raw) > BIGINT_MAX:
            return None
        return communities.filter(pk=int(raw)).first()

    @staticmethod
    def _grid_area(community, *, special: bool):
        """Where the worker's grids may lie: the community, or for a 特聘 worker its street/town."""
        if community is None:
            return None
        if special and community.parent_id:
            return community.parent
        return community

    def clean_grids(self):
        grids = list(self.cleaned_data.get("grids") or [])
        self._check_grid_area(grids, self.cleaned_data.get("community"))
        return grids

    def _check_grid_area(self, grids, community) -> None:
        if grids and community is None:
            raise forms.ValidationError(_("请先选择所属社区/村，再勾选它的网格。"), code="no_community")
        area = self._grid_area(community, special=self.cleaned_data.get("kind") == WorkerKind.SPECIAL)
        for grid in grids:
            if not grid.path.startswith(area.path):
                raise forms.ValidationError(_("网格“%(name)s”不属于%(community)s。") % {
                    "name": grid.name, "community": area.name}, code="other_community")


# --- edit forms: the create forms, prefilled, with the stored ID number and phone kept back ----------


class _KeepNumbersMixin(forms.Form):
    """An edit form never sends the stored ID number or phone back to the browser: each field is
    empty, shows the masked value, and left blank keeps what is stored; filled in, it replaces it,
    checked as on create (``_NumbersMixin``). It carries the record's version and a digest of each
    value it was opened with (``core.edits``), for a save over someone else's."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    opened = forms.CharField(widget=forms.HiddenInput, required=False)
    BOOKKEEPING = ("version", "opened")  # not the record's: never passed to the services

    def _hide_numbers(self, masked: dict) -> None:
        for name in ("id_number", "phone"):
            field = self.fields[name]
            field.widget.attrs["autocomplete"] = "off"
            if masked[name]:
                field.widget.attrs["placeholder"] = masked[name]
            field.help_text = (_("当前为 %(value)s；留空则不修改，填写则替换。") % {"value": masked[name]}
                               if masked[name] else _("尚未登记；留空则不修改。"))

    def _without_blank_numbers(self, values: dict) -> dict:
        """The fields the service changes: not the version and digests, not a blank number."""
        return {k: v for k, v in values.items()
                if k not in self.BOOKKEEPING and (k not in ("id_number", "phone") or v)}

    def seen_version(self):
        """The version of the record the editor started from (``core.edits``)."""
        return version_parse(self.cleaned_data.get("version"))

    @staticmethod
    def _opened_with(record, values: dict) -> dict:
        """The form's initial: ``values``, the record's version and a digest of each value."""
        return {**values, "version": version_of(record), "opened": opened_digests(values)}

    def after_conflict(self, saved: dict) -> tuple:
        """The posted data for the form again after a conflict (``core.edits.conflict_merge``): the
        values saved since (``saved``, this form's initial for the record now) in the fields this editor
        left alone, the editor's own in the rest, the new version. With the labels of the fields taken
        and of those both changed."""
        posted = {k: v for k, v in self.cleaned_data.items() if k not in self.BOOKKEEPING}
        take, both = conflict_merge(self.cleaned_data.get("opened", ""), posted, saved)
        data = self.data.copy()
        for name, value in take.items():
            data.setlist(name, as_posted(value))
        data["version"], data["opened"] = saved["version"], saved["opened"]
        return data, [str(self.fields[n].label) for n in take], [str(self.fields[n].label) for n in both]


class _HouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)  # 楼栋 单元 房号


class ResidentEditForm(_KeepNumbersMixin, ResidentCreateForm):
    """The create form plus 房屋, offered from the chosen grid's buildings (HTMX reloads them when
    the grid changes; without JavaScript the button beside the grid does). Any visible house
    validates, so a house of another grid gets the service's message at the field."""

    house = _HouseChoiceField(label=_("房屋"), queryset=None, required=False, empty_label=_("未关联房屋"))

    field_order = ["name", "grid", "house", "id_number", "phone", "address", "residence_type", "political_status",
                   "is_volunteer", "tags"]
    reload_name = "choose_grid"

    def __init__(self, *args, actor, resident, masked: dict, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self._hide_numbers(masked)
        self.fields["grid"].widget.attrs.update({
            "hx-post": reverse("resident-edit", args=[resident.pk]), "hx-trigger": "change",
            "hx-vals": json.dumps({self.reload_name: "1"}), "hx-select": "#house-choices",
            "hx-target": "#house-choices", "hx-swap": "outerHTML",
        })
        house = self.fields["house"]
        house.queryset = house_options(actor=actor)
        grid = self._chosen_grid()
        if grid is None:
            house.widget.choices = [("", house.empty_label)]
            house.help_text = _("请先选择所属网格，这里会列出它的房屋。")
            return
        offered = list(house_options(actor=actor, grid=grid))
        house.widget.choices = [("", house.empty_label), *[(h.pk, house.label_from_instance(h)) for h in offered]]
        house.help_text = (_("%(grid)s已登记的房屋。") if offered else _("%(grid)s尚未登记房屋。")) % {"grid": grid.name}

    @staticmethod
    def initial_for(resident, shown: dict) -> dict:
        """The stored values, the address and tags from ``shown`` (the audited reveal); no ID number
        or phone."""
        return _KeepNumbersMixin._opened_with(resident, {
            "name": resident.name, "grid": resident.grid_id, "house": resident.house_id, "address": shown["address"],
            "tags": list(shown["tags"] or []), "residence_type": resident.residence_type,
            "political_status": resident.political_status, "is_volunteer": resident.is_volunteer})

    def _chosen_grid(self):
        raw = self.data.get("grid") if self.is_bound else self.initial.get("grid")
        raw = getattr(raw, "pk", raw)
        if raw in (None, "") or not str(raw).isdigit() or int(raw) > BIGINT_MAX:
            return None
        return self.fields["grid"].queryset.filter(pk=int(raw)).first()

    def values(self) -> dict:
        """What ``resident_update`` takes: every field, but a blank ID number or phone not at all."""
        return self._without_blank_numbers(self.cleaned_data)


class WorkerEditForm(_KeepNumbersMixin, WorkerCreateForm):
    """The create form without 所属社区/村 (a worker stays in its community) and with 在岗. 负责网格
    offers the worker's area (a 特聘 worker: its street), and the grids it has besides; a grid it
    has that the editor may not see is not offered, and is kept."""

    community = None  # a worker stays in its community (``_value`` answers it)
    active = forms.BooleanField(label=_("在岗"), required=False)

    field_order = ["name", "kind", "grids", "id_number", "phone", "occupation", "is_party_member", "active",
                   "joined_on"]
    reload_field, reload_name, reload_label = "kind", "choose_kind", _("按类型显示可选网格")

    def __init__(self, *args, actor, worker, masked: dict, **kwargs):
        self.worker = worker  # read by the create form's __init__ (``_value``, ``reload_url``)
        self.current_grids = [a.grid for a in worker.assignments.select_related("grid")
                              .order_by("-is_primary", "grid__path")]
        super().__init__(*args, actor=actor, **kwargs)
        self._hide_numbers(masked)
        grids = self.fields["grids"]
        visible = set(grids.queryset.filter(pk__in=[g.pk for g in self.current_grids]).values_list("pk", flat=True))
        self.kept_grids = [g for g in self.current_grids if g.pk not in visible]
        if self.kept_grids:
            grids.help_text = _("%(offered)s另负责您范围以外的网格：%(names)s（保持不变）。") % {
                "offered": grids.help_text, "names": "、".join(g.name for g in self.kept_grids)}

    @staticmethod
    def initial_for(worker) -> dict:
        """The stored values; no ID number or phone."""
        return _KeepNumbersMixin._opened_with(worker, {
            "name": worker.name, "kind": worker.kind, "grids": list(worker.grids.values_list("pk", flat=True)),
            "occupation": worker.occupation, "is_party_member": worker.is_party_member, "active": worker.active,
            "joined_on": worker.joined_on})

    def reload_url(self) -> str:
        return reverse("worker-edit", args=[self.worker.pk])

    def _offered_grids(self, visible, area):
        return visible.filter(Q(path__startswith=area.path) | Q(pk__in=[g.pk for g in self.current_grids]))

    def _value(self, name):
        if name == "community":
            return self.worker.community_id
        return super()._value(name)

    def clean_grids(self):
        """Only the grids added are held to the worker's area: one it has already is the service's
        to judge (with the kind it will have)."""
        grids = list(self.cleaned_data.get("grids") or [])
        had = {g.pk for g in self.current_grids}
        self._check_grid_area([g for g in grids if g.pk not in had], self.worker.community)
        return grids

    def values(self) -> dict:
        """What ``grid_worker_edit`` takes: the worker's fields (a blank ID number or phone not at
        all) and ``grids`` only when they changed — the grids kept, the primary one first while it stays."""
        values = self._without_blank_numbers({k: v for k, v in self.cleaned_data.items() if k != "grids"})
        chosen = {g.pk: g for g in self.cleaned_data["grids"]}
        kept = {g.pk for g in self.kept_grids}
        had = [g.pk for g in self.current_grids]
        after = [g for g in self.current_grids if g.pk in chosen or g.pk in kept]
        after += [g for pk, g in chosen.items() if pk not in had]
        if {g.pk for g in after} != set(had):
            values["grids"] = after
        return values
