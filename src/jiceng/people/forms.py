"""Forms for the people pages: they parse input only. Rules (ID checksum, grid in community,
scope) live in the services; their ApplicationError is put back on the form with ``core.views.add_app_error``."""

from __future__ import annotations

import itertools

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.core.api_schemas import BIGINT_MAX
from jiceng.core.errors import NotFoundError
from jiceng.core.validators import id_number_error, phone_error, phone_normalise
from jiceng.regions.choices import GRID_LEVELS, RegionLevel
from jiceng.regions.selectors import region_get, region_options

from .choices import PoliticalStatus, ResidenceType, ResidentTag, WorkerKind

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

    def clean_phone(self):
        value = phone_normalise(self.cleaned_data.get("phone", "").strip())  # as the services store it
        if value and (error := phone_error(value)):
            raise forms.ValidationError(error)
        return value


class ResidentCreateForm(_NumbersMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    grid = _RegionChoiceField(label=_("所属网格"), queryset=None, empty_label=_("请选择网格"))
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
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

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        communities = region_options(actor=actor, levels=[RegionLevel.COMMUNITY])
        self.fields["community"].queryset = communities
        reload_grids = {
            "hx-post": reverse("worker-create"), "hx-trigger": "change", "hx-vals": '{"choose_community": "1"}',
            "hx-select": "#grid-choices", "hx-target": "#grid-choices", "hx-swap": "outerHTML",
        }
        self.fields["community"].widget.attrs.update(reload_grids)
        self.fields["kind"].widget.attrs.update(reload_grids)
        # every visible grid validates (so a wrong one gets a message naming it); only the chosen
        # community's (a 特聘 worker: its street's) are offered
        self.fields["grids"].queryset = region_options(actor=actor, levels=GRID_LEVELS)
        self.chosen_community = self._chosen(communities)
        self.special = self._value("kind") == WorkerKind.SPECIAL
        self.grid_groups = []  # (community, open, its boxes) when a 特聘 worker is offered a street's grids
        grids = self.fields["grids"]
        area = self._grid_area(self.chosen_community, special=self.special)
        if area is None:
            grids.widget.choices = []
            grids.help_text = _("请先选择所属社区/村，这里会列出它的网格。")
            return
        offered = list(grids.queryset.filter(path__startswith=area.path))
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
        # a street holds hundreds of grids: one folding group per community, its own (and any with
        # a ticked grid) open
        boxes = {str(box.data["value"]): box for box in self["grids"]}
        self.grid_groups = []
        for path, group in itertools.groupby(offered, key=community_of):
            members = [boxes[str(g.pk)] for g in group]
            opened = path == self.chosen_community.path or any(b.data["selected"] for b in members)
            self.grid_groups.append((names.get(path, ""), opened, members))

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
        community = self.cleaned_data.get("community")
        if grids and community is None:
            raise forms.ValidationError(_("请先选择所属社区/村，再勾选它的网格。"), code="no_community")
        area = self._grid_area(community, special=self.cleaned_data.get("kind") == WorkerKind.SPECIAL)
        for grid in grids:
            if not grid.path.startswith(area.path):
                raise forms.ValidationError(_("网格“%(name)s”不属于%(community)s。") % {
                    "name": grid.name, "community": area.name}, code="other_community")
        return grids
