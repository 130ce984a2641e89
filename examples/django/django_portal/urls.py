"""The portal's URLs: sign-in, the invite page, and the registration pages' mount."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import toolkit, views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("invite-someone/", views.invite, name="invite"),
    # Everything under the mount goes to the toolkit's registration pages.
    re_path(r"^invite(?P<path>/.*)?$", toolkit.registration, name="registration"),
]
