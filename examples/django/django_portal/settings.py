"""Settings of the recipe's project, from environment variables (``PORTAL_*`` for
the portal, ``INVITATIONS_*`` as the toolkit documents them)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
env = os.environ

SECRET_KEY = env["PORTAL_DJANGO_SECRET_KEY"]
DEBUG = env.get("PORTAL_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in env.get("PORTAL_ALLOWED_HOSTS", "localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_portal",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "django_portal.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": env.get("PORTAL_DATABASE", str(BASE_DIR / "portal.sqlite3")),
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []  # the toolkit's form checks passwords
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/invite-someone/"

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Helsinki"

#: The invitation service and the mounted registration pages (django_portal.toolkit).
INVITATIONS = {
    "SECRET_KEYS": [k for k in env.get("INVITATIONS_SECRET_KEYS", "").split(",") if k],
    "BASE_URL": env.get("INVITATIONS_BASE_URL", "http://localhost:8000/invite"),
    "TRANSPORT": env.get("INVITATIONS_TRANSPORT", "smtp://127.0.0.1:1025"),
    "DB": env.get("INVITATIONS_DB", str(BASE_DIR / "invitations.sqlite3")),
    "MOUNT": "/invite",
}
#: The company the portal's staff invite people to (a real portal looks it up per user).
PORTAL_COMPANY = {
    "business_id": env.get("PORTAL_COMPANY_ID", "0112038-9"),
    "name": env.get("PORTAL_COMPANY_NAME", "Acme Oy"),
    "contract_number": env.get("PORTAL_CONTRACT_NUMBER", "LOG-123"),
}
