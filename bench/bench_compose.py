"""Composing one invitation vs a bare Jinja2 render of the same templates.

Full composition = subject + text + HTML (three languages) from the catalogs,
Babel dates, CSS inlining (done at template load, so free per message) and
the MIME bytes. The baseline renders the very same template files in the
same number of render calls, but with no catalog (null translations), no
Babel, no inlined CSS and no MIME. Both are measured here, in one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from markupsafe import Markup

from invitations.rendering import InvitationEmail, renderer_for
from invitations.rendering.environment import make_environment
from invitations.theme import POSTI

LANGUAGES = ("fi", "sv", "en")
SAMPLE = InvitationEmail(
    invitation_id="bench",
    to_email="matti.meikalainen@example.com",
    to_name="Matti Meikäläinen",
    company_name="Ö'Brien & Co Oy",
    inviter_name="Pää Käyttäjä",
    invited_role="user",
    link="https://asiointi.example.fi/register?token=" + "x" * 120,
    expires_at=datetime(2025, 3, 14, 13, 5, tzinfo=UTC),
    validity=timedelta(days=7),
    languages=LANGUAGES,
    message_id="<bench.0001@posti.fi>",
    sender="Posti <noreply@posti.fi>",
    sent_at=datetime(2025, 3, 7, 13, 5, tzinfo=UTC),
)


def bare_render() -> Callable[[], object]:
    """The baseline: the same templates and calls, nothing else."""
    env = make_environment()
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    names = ("subject.txt", "_messages.txt", "body.html", "body.txt")
    subject, messages, html, text = (env.get_template(f"invitation/{n}") for n in names)
    layout_html, layout_text = env.get_template("_layout.html"), env.get_template("_layout.txt")
    values = {
        "to_name": SAMPLE.to_name, "inviter_name": SAMPLE.inviter_name,
        "company_name": SAMPLE.company_name, "invited_role": SAMPLE.invited_role,
        "link": SAMPLE.link, "validity_days": 7, "validity_hours": 0, "theme": POSTI,
        "expires_at": SAMPLE.expires_at.isoformat(), "expires_iso": "2025-03-14T13:05:00Z",
    }

    def run() -> object:
        htmls, texts, subjects = [], [], []
        for lang in LANGUAGES:
            context = dict(values, lang=lang)
            context["title"] = title = subject.render(context).strip()
            context["m"] = messages.make_module(context)
            subjects.append(title)
            htmls.append(Markup(html.render(context)))
            texts.append(text.render(context))
        joined = " / ".join(subjects)
        return (
            layout_html.render(lang="fi", subject=joined, preheader="", sections=htmls,
                               theme=POSTI),
            layout_text.render(sections=texts),
        )

    return run


def rate(func: Callable[[], object], seconds: float = 2.0) -> float:
    """Calls per second of ``func`` over about ``seconds`` (after a warm-up)."""
    for _ in range(50):
        func()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):
            func()
        count += 50
    return count / (time.perf_counter() - started)


def main() -> None:
    renderer = renderer_for(POSTI)
    full = rate(lambda: renderer.compose_invitation(SAMPLE))
    render_only = rate(lambda: renderer.render_invitation(SAMPLE))
    bare = rate(bare_render())
    size = len(renderer.compose_invitation(SAMPLE).data)
    print(f"bare Jinja2 render (no i18n/inlining/MIME): {bare:10.0f} /s")
    print(f"render with catalogs + Babel (no MIME):      {render_only:10.0f} /s")
    print(f"full composition (MIME bytes, {size} B):    {full:10.0f} /s")
    print(f"full / bare time ratio: {bare / full:.2f}x (goal <= 3x); "
          f"full rate goal >= 1000/s: {'met' if full >= 1000 else 'NOT met'}")


if __name__ == "__main__":
    main()
