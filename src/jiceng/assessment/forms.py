"""The rating form of one assignment, shaped by the rater group's kind (综合评分, 问卷, 指标)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import GroupKind, IndicatorKind
from .compute import fmt
from .models import RaterAssignment


class RatingForm(forms.Form):
    note = forms.CharField(label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_ref = forms.CharField(label="佐证材料", max_length=500, required=False)

    def __init__(self, *args, assignment: RaterAssignment, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        group = assignment.group
        rating = getattr(assignment, "rating", None)
        self.kind = group.kind
        self.leaf_codes: list[str] = []
        self.item_codes: list[str] = []
        number = {"inputmode": "decimal", "step": "0.01", "min": "0"}
        if group.kind == GroupKind.SINGLE:
            self.fields["score"] = forms.DecimalField(
                label=f"评分（0～{fmt(group.max_points)}）", required=False, min_value=0, max_value=group.max_points,
                decimal_places=2, widget=forms.NumberInput(attrs=number))
            if rating is not None and rating.score is not None:
                self.initial["score"] = fmt(rating.score)
        elif group.kind == GroupKind.QUESTIONNAIRE:
            levels = [("", "—")] + [(lv["code"], f"{lv['name']}（{lv['points']} 分）")
                                    for lv in group.questionnaire["levels"]]
            for item in group.questionnaire["items"]:
                name = f"q_{item['code']}"
                self.fields[name] = forms.ChoiceField(label=item["name"], choices=levels, required=False)
                self.item_codes.append(item["code"])
                if rating is not None:
                    self.initial[name] = rating.answers.get(item["code"], "")
        else:
            given = ({s.indicator.code: fmt(s.points) for s in rating.indicator_scores.select_related("indicator")}
                     if rating is not None else {})
            for ind in group.indicators.filter(kind=IndicatorKind.MANUAL, children__isnull=True).order_by("order"):
                name = f"i_{ind.code}"
                self.fields[name] = forms.DecimalField(
                    label=f"{ind.name}（0～{fmt(ind.max_points)}）", required=False, min_value=0, max_value=ind.max_points,
                    decimal_places=2, widget=forms.NumberInput(attrs=number))
                self.leaf_codes.append(ind.code)
                self.initial[name] = given.get(ind.code)
        if rating is not None:
            self.initial.setdefault("note", rating.note)
            self.initial.setdefault("evidence_ref", rating.evidence_ref)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"note": data.get("note") or "", "evidence_ref": data.get("evidence_ref") or ""}
        if self.kind == GroupKind.SINGLE:
            kwargs["score"] = data.get("score")
        elif self.kind == GroupKind.QUESTIONNAIRE:
            kwargs["answers"] = {c: data[f"q_{c}"] for c in self.item_codes if data.get(f"q_{c}")}
        else:
            kwargs["indicator_scores"] = {c: data[f"i_{c}"] for c in self.leaf_codes
                                          if data.get(f"i_{c}") is not None}
        return kwargs


class NextPeriodForm(forms.Form):
    """下一期: name and dates, proposed from the last round (``services.next_dates``)."""

    label = forms.CharField(label="名称", max_length=100)
    starts_on = forms.DateField(label="开始日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    ends_on = forms.DateField(label="结束日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "结束日期不能早于开始日期。")
        return data


class AdjustmentForm(forms.Form):
    """登记一条加分或减分：对象、加减分项、分值、事由、佐证材料。The service checks the rest (the period's
    state, the item's per-entry maximum)."""

    subject = forms.ChoiceField(label=_("考核对象"))
    indicator = forms.ChoiceField(label=_("加减分项"))
    points = forms.DecimalField(label=_("分值"), min_value=Decimal("0.01"), max_digits=7, decimal_places=2,
                                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0.01"}))
    note = forms.CharField(label=_("事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_ref = forms.CharField(label=_("佐证材料"), max_length=500, required=False,
                                   help_text=_("文件编号、督查通报、照片说明等，可选。"))

    def __init__(self, *args, subjects, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", "—")] + [(str(s.pk), s.display_name) for s in subjects]
        self.fields["indicator"].choices = [("", "—")] + [(i.code, item_label(i)) for i in items]


def item_label(item) -> str:
    sign = _("加分") if item.kind == IndicatorKind.BONUS else _("减分")
    limit = _("，单次最多 %(n)s 分") % {"n": fmt(item.max_points)} if item.max_points else ""
    return f"{item.name}（{sign}{limit}）"


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=500)


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("申诉理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("写明对哪一项得分有异议、依据是什么。"))
