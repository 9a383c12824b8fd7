from django.contrib.auth import views as auth_views
from django.urls import path

from jiceng.accounts.forms import LoginForm

from . import files, views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html", authentication_form=LoginForm,
                                                 redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("files/<uuid:pk>/", files.attachment_download, name="attachment"),
    path("exports/<uuid:pk>/", files.export_file_download, name="export-download"),
]
