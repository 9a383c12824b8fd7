"""Forms for the engagement pages: parsing and field errors only; the services decide."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.core.uploads import PhotoField
from jiceng.people.models import Resident
from jiceng.people.selectors import resident_search, resident_visible

from .choices import WishCategory, WishStatus
from .models import PointRule
from .selectors import for_staff


class WishForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=WishCategory.choices)
    description = forms.CharField(label=_("心愿内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 4}))
    estimated_cost = forms.DecimalField(label=_("预估金额（元）"), min_value=0, max_digits=9, decimal_places=2,
                                        initial=0)


class ThankForm(forms.Form):
    message = forms.CharField(label=_("感谢留言"), max_length=300, required=False)


class RedeemForm(forms.Form):
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100, initial=1)


class TokenForm(forms.Form):
    token = forms.CharField(label=_("签到码"), max_length=500)


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(label=_("审核"), choices=[("1", _("发布上墙")), ("0", _("退回"))],
                                     coerce=lambda v: v == "1")
    reason = forms.CharField(label=_("未通过原因"), max_length=200, required=False)


class WishFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("全部"))] + list(WishStatus.choices), required=False)


class AwardForm(forms.Form):
    """Staff find the resident by name (plus the last digits of the phone or ID number, as masked
    lists show them) and pick one of the matches, each shown masked; the search box is reloaded
    with HTMX, or with the 查找 button without JavaScript."""

    rule = forms.ModelChoiceField(label=_("积分规则"), queryset=PointRule.objects.none())
    q = forms.CharField(label=_("查找居民"), max_length=50, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("姓名，可加手机号或身份证号后4位，如：张三 0011")}))
    resident = forms.ModelChoiceField(label=_("居民"), queryset=Resident.objects.none(), widget=forms.RadioSelect,
                                      error_messages={"required": _("请先查找并选择一位居民。"),
                                                      "invalid_choice": _("请在查找结果中选择一位居民。")})
    evidence_photo = PhotoField(label=_("佐证照片"), required=False,
                                        help_text=_("可选，JPG/PNG；规则要求佐证时，照片或文字说明至少一项。"))
    evidence = forms.CharField(label=_("佐证说明"), max_length=250, required=False,
                               help_text=_("可选，如：现场照片已存档、材料编号。"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = for_staff(
            PointRule.objects.filter(active=True).select_related("community"), actor)
        self.fields["rule"].label_from_instance = lambda r: f"{r.community.name} · {r}"
        # any resident in scope validates; the radio list offers the matches of the search box
        self.fields["resident"].queryset = resident_visible(actor)
        q = (self.data.get("q") if self.is_bound else self.initial.get("q")) or ""
        self.matches = resident_search(actor=actor, q=str(q)[:50]) if q.strip() else []
        self.searched = bool(q.strip())
        self.fields["resident"].widget.choices = [(r.pk, resident_label(r)) for r in self.matches]
        self.fields["q"].widget.attrs.update({
            "hx-post": reverse("engagement-staff-award"), "hx-trigger": "input changed delay:400ms, search",
            "hx-vals": '{"find": "1"}', "hx-select": "#resident-choices", "hx-target": "#resident-choices",
            "hx-swap": "outerHTML", "hx-encoding": "application/x-www-form-urlencoded",
        })


def resident_label(resident) -> str:
    """A match as the picker shows it: name, masked phone and ID number, grid — never in full."""
    from jiceng.people.services import masked

    m = masked(resident)
    return " · ".join(filter(None, [resident.name, m["phone"], m["id_number"], resident.grid.name]))


class CorrectForm(forms.Form):
    note = forms.CharField(label=_("更正原因"), max_length=200)


class ShopForm(forms.Form):
    name = forms.CharField(label=_("超市名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)


class ItemForm(forms.Form):
    name = forms.CharField(label=_("商品"), max_length=100)
    price = forms.IntegerField(label=_("所需积分"), min_value=1, max_value=1_000_000)
    stock = forms.IntegerField(label=_("库存"), min_value=0, max_value=1_000_000, initial=0)


class RestockForm(forms.Form):
    quantity = forms.IntegerField(label=_("补货数量"), min_value=1, max_value=1_000_000)


class ActivityForm(forms.Form):
    community = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("活动名称"), max_length=100)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=100_000)
    skills = forms.CharField(label=_("所需技能"), max_length=200, required=False)
    description = forms.CharField(label=_("内容"), max_length=2000, required=False, widget=forms.Textarea(
        attrs={"rows": 3}))
