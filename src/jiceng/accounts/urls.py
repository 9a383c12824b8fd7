from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.security_home, name="home"),
    path("password/", views.password_change, name="password"),
    path("2fa/setup/", views.totp_setup, name="2fa-setup"),
    path("2fa/verify/", views.totp_verify, name="2fa-verify"),
    path("2fa/recovery-codes/", views.recovery_codes_regenerate, name="recovery-codes"),
    path("2fa/disable/", views.totp_disable, name="totp-disable"),
    path("sessions/", views.sessions, name="sessions"),
    path("tokens/", views.tokens, name="tokens"),
]
