"""The rating form of one assignment, shaped by the rater group's kind (综合评分, 问卷, 指标)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import GroupKind, IndicatorKind, PeriodType, SubjectType
from .compute import fmt
from .models import RaterAssignment


class RatingForm(forms.Form):
    """The scores first, then the optional 说明 and 佐证材料 (what a rater fills in, in that order)."""

    note = forms.CharField(label=_("说明"), max_length=500, required=False, help_text=_("选填"),
                           widget=forms.Textarea(attrs={"rows": 2}))
    evidence_ref = forms.CharField(label=_("佐证材料"), max_length=500, required=False, help_text=_("选填"))

    def __init__(self, *args, assignment: RaterAssignment, read_only: bool = False, **kwargs):
        """``read_only``: a sheet that can no longer be saved (submitted, or the period closed) shows what
        was given with every input disabled."""
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
                label=_("评分（0～%(max)s）") % {"max": fmt(group.max_points)}, required=False, min_value=0,
                max_value=group.max_points, decimal_places=2, widget=forms.NumberInput(attrs=number))
            if rating is not None and rating.score is not None:
                self.initial["score"] = fmt(rating.score)
        elif group.kind == GroupKind.QUESTIONNAIRE:
            levels = [("", "—")] + [(lv["code"], _("%(name)s（%(points)s 分）") % {
                "name": lv["name"], "points": lv["points"]}) for lv in group.questionnaire["levels"]]
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
        for name in ("note", "evidence_ref"):  # declared above, shown after the scores
            self.fields[name] = self.fields.pop(name)
        if rating is not None:
            self.initial.setdefault("note", rating.note)
            self.initial.setdefault("evidence_ref", rating.evidence_ref)
        if read_only:
            for field in self.fields.values():
                field.disabled = True
                field.help_text = ""

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

    label = forms.CharField(label=_("名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        return data


class PublishForm(forms.Form):
    """公布's confirmation: the date the results are published on (today unless given)."""

    published_on = forms.DateField(label=_("公布日期"), required=False,
                                   widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


PeriodForm = NextPeriodForm  # a first period asks the same: name and dates (``services.current_dates``)


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

    def offer(self, subjects) -> None:
        """List only these subjects (those whose entries may be recorded now), once the form is validated:
        any subject of the period is accepted, so that one not offered is refused with the rule's words."""
        self.fields["subject"].choices = [("", "—")] + [(str(s.pk), s.display_name) for s in subjects]


def item_label(item) -> str:
    sign = _("加分") if item.kind == IndicatorKind.BONUS else _("减分")
    limit = _("，单次最多 %(n)s 分") % {"n": fmt(item.max_points)} if item.max_points else ""
    return f"{item.name}（{sign}{limit}）"


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=500)


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("申诉理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("写明对哪一项得分有异议、依据是什么。"))


class AppealReplyForm(forms.Form):
    decision = forms.CharField(label=_("复核意见"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("答复申诉人：复核了什么、结论是什么。复核后公布时申诉人即可看到。"))


class RerateForm(forms.Form):
    """退回重评: one of the subject's score sheets (a rater of a group, or a whole anonymous group) and why."""

    target = forms.ChoiceField(label=_("退回哪一份评分"))
    reason = forms.CharField(label=_("退回重评原因"), max_length=500, help_text=_("评分人在“我的评分任务”中看到。"))

    def __init__(self, *args, choices, **kwargs):
        kwargs.setdefault("auto_id", "rerate_%s")  # beside the appeal forms on the result page
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "—"), *choices]


class RerateCancelForm(forms.Form):
    target = forms.RegexField(regex=r"^[0-9A-Za-z_-]{1,32}(:[0-9]{1,18})?$", max_length=52)


def rerate_target(value: str) -> tuple[str, int | None]:
    """``group`` or ``group:rater id`` (the values of ``selectors.subject_rerates``) → (group code, rater id)."""
    code, _sep, rater = value.partition(":")
    return code, int(rater) if rater else None


def _region_label(region) -> str:
    return f"{'　' * max(region.depth - 1, 0)}{region.name}"


class SchemeTemplateForm(forms.Form):
    """新建考核方案：a shipped template, the region the scheme belongs to, and a name."""

    template = forms.ChoiceField(label=_("方案模板"), widget=forms.RadioSelect)
    region = forms.ChoiceField(label=_("组织区域"), help_text=_("方案属于哪一级：由该区域及上级的工作人员管理，考核对象须在该区域内。"))
    name = forms.CharField(label=_("方案名称"), max_length=100, required=False, help_text=_("留空则用模板名称。"))

    def __init__(self, *args, templates, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [
            (t.key, f"{t.name}（{SubjectType(t.subject_type).label}，{PeriodType(t.period_type).label}）：{t.summary}")
            for t in templates]
        self.fields["region"].choices = [("", "—")] + [(str(r.pk), _region_label(r)) for r in regions]


class BulkSubjectsForm(forms.Form):
    region = forms.ChoiceField(label=_("区域"), help_text=_("添加该区域内全部符合条件的考核对象，已在本期的跳过。"))
    peer_group = forms.CharField(label=_("排名组"), max_length=64, required=False,
                                 help_text=_("同一排名组内排名、互评；留空则全部为一组。"))

    def __init__(self, *args, regions, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # beside SubjectAddForm on one page: ids must differ
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "—")] + [(str(r.pk), _region_label(r)) for r in regions]


class SubjectAddForm(forms.Form):
    subject = forms.ChoiceField(label=_("考核对象"))
    peer_group = forms.CharField(label=_("排名组"), max_length=64, required=False)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", "—")] + [(str(pk), label) for pk, label in candidates]


class RaterAddForm(forms.Form):
    group = forms.ChoiceField(label=_("评分组"))
    rater = forms.ChoiceField(label=_("评分人"))
    subjects = forms.MultipleChoiceField(label=_("评哪些考核对象"), required=False, widget=forms.CheckboxSelectMultiple,
                                         help_text=_("不选则评本期全部考核对象（不评自己）。"))

    def __init__(self, *args, groups, raters, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "—")] + [(g.code, g.name) for g in groups]
        self.fields["rater"].choices = [("", "—")] + [(str(u.pk), rater_label(u)) for u in raters]
        self.fields["subjects"].choices = [(str(s.pk), s.display_name) for s in subjects]


def rater_label(user) -> str:
    where = user.department or user.region
    return f"{user}（{user.username}{'，' + str(where) if where else ''}）"


class PeerAssignForm(forms.Form):
    group = forms.ChoiceField(label=_("互评组"))

    def __init__(self, *args, groups, **kwargs):
        kwargs.setdefault("auto_id", "peer_%s")  # beside RaterAddForm on one page: ids must differ
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.code, g.name) for g in groups]


class RaterRemoveForm(forms.Form):
    group = forms.CharField(max_length=32)
    rater = forms.IntegerField(min_value=1)


def candidate_label(obj) -> str:
    """A possible subject with where it is, so two people of the same name can be told apart."""
    from jiceng.people.models import Department, GridWorker, User
    from jiceng.regions.models import Organisation

    if isinstance(obj, GridWorker):
        return f"{obj.name}（{obj.community.name}）"
    if isinstance(obj, User):
        return f"{obj}（{obj.username}，{obj.region.name if obj.region_id else '—'}）"
    if isinstance(obj, Organisation):
        return f"{obj.name}（{obj.grid.name}）"
    if isinstance(obj, Department):
        return f"{obj.name}（{obj.region.name}）"
    return obj.name
