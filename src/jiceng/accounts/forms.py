"""The login form (Django's, showing why a login was refused) and the account-security forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .backends import REFUSAL_ATTR


class LoginForm(AuthenticationForm):
    """Used by the login page (``LoginView(authentication_form=LoginForm)``): a locked account or a
    throttled address gets its own message ("账号已锁定，请于 HH:MM 后重试或联系安全管理员。")
    instead of "wrong user name or password"."""

    def get_invalid_login_error(self):
        refusal = getattr(self.request, REFUSAL_ATTR, None) if self.request is not None else None
        if refusal:
            return ValidationError(refusal, code="locked")
        return super().get_invalid_login_error()


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("当前密码"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("新密码"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("再次输入新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class CodeForm(forms.Form):
    code = forms.CharField(label=_("验证码"), max_length=32, strip=True,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                                         "autofocus": True}))


class TokenForm(forms.Form):
    KINDS = [("api", _("API 令牌")), ("open311", _("Open311 密钥"))]
    kind = forms.ChoiceField(label=_("类型"), choices=KINDS, initial="api")
    name = forms.CharField(label=_("用途 / 对接系统名称"), max_length=80)
    username = forms.CharField(label=_("签发给账号（留空为本人）"), max_length=150, required=False)
    days = forms.IntegerField(label=_("有效天数（留空不过期）"), min_value=1, max_value=3650, required=False)
