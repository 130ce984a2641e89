"""The portal's own pages: inviting someone (a Django form, Django's CSRF)."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from invitations import Company, InvalidInput, InvitationError, Inviter, Role
from invitations.i18n.labels import field_label

from .toolkit import service

#: The page's own few words, in the portal's three languages.
TEXTS = {
    "title": {"fi": "Kutsu käyttäjä", "sv": "Bjud in en användare", "en": "Invite a user"},
    "submit": {"fi": "Lähetä kutsu", "sv": "Skicka inbjudan", "en": "Send the invitation"},
    "sent": {"fi": "Kutsu lähetettiin osoitteeseen {email}.",
             "sv": "Inbjudan skickades till {email}.",
             "en": "The invitation was sent to {email}."},
}


def language() -> str:
    """The page's language as the toolkit names it (Django's LocaleMiddleware chose it)."""
    lang = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return lang if lang in ("fi", "sv", "en") else "fi"


class InviteForm(forms.Form):
    """Whom to invite; the toolkit checks the values again (and words its refusals)."""

    email = forms.CharField(max_length=254)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    role = forms.ChoiceField(choices=[(str(Role.USER), str(Role.USER)),
                                      (str(Role.MAIN_USER), str(Role.MAIN_USER))])

    def __init__(self, *args: object, lang: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.label = field_label(name, lang).capitalize()


@login_required
@permission_required("auth.add_user", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    """``GET`` the form, ``POST`` it to send the invitation (the mail goes out at once)."""
    lang = language()
    form = InviteForm(request.POST if request.method == "POST" else None, lang=lang)
    sent = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            company = Company(**settings.PORTAL_COMPANY)
            user = request.user
            inviter = Inviter(user.get_username(), user.get_full_name() or None,
                              Role.MAIN_USER, company.business_id)
            try:
                invitation = service().send_invite(
                    data["email"], company=company, invited_by=inviter, role=data["role"],
                    first_name=data["first_name"] or None, last_name=data["last_name"] or None)
            except InvitationError as exc:
                field = exc.field if isinstance(exc, InvalidInput) else None
                form.add_error(field if field in form.fields else None, exc.message(lang))
            else:
                sent = TEXTS["sent"][lang].format(email=invitation.email)
                form = InviteForm(lang=lang)
        if sent is None:
            status = 422
    texts = {key: value[lang] for key, value in TEXTS.items()}
    return render(request, "django_portal/invite.html",
                  {"form": form, "sent": sent, "texts": texts, "lang": lang}, status=status)
