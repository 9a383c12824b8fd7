"""Forms for the engagement pages: parsing and field errors only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.people.forms import add_app_error  # noqa: F401  (re-exported for the views)

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
    rule = forms.ModelChoiceField(label=_("积分规则"), queryset=PointRule.objects.none())
    resident = forms.IntegerField(label=_("居民 ID"), min_value=1, max_value=2**62,
                                  help_text=_("居民详情页地址中的编号。"))
    evidence = forms.CharField(label=_("佐证"), max_length=300, required=False,
                               help_text=_("照片或文件的存储路径；规则要求佐证时必填。"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = for_staff(
            PointRule.objects.filter(active=True).select_related("community"), actor)
        self.fields["rule"].label_from_instance = lambda r: f"{r.community.name} · {r}"


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
