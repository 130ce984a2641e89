"""Composing one invitation vs a bare Jinja2 render of the same templates.

Full composition = subject + text + HTML (three languages) from the catalogs,
Babel dates, CSS inlining (done at template load, so free per message) and
the MIME bytes. The baseline renders the very same template files in the
same number of render calls, but with no catalog (null translations), no
Babel, no inlined CSS and no MIME. Both are measured here, in one process.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from datetime import timedelta

from markupsafe import Markup

from invitations.rendering import InvitationEmail, renderer_for
from invitations.rendering.environment import load, make_environment
from invitations.rendering.samples import sample_invitation
from invitations.theme import POSTI

LANGUAGES = ("fi", "sv", "en")
SAMPLE = sample_invitation(
    to_name="Matti Meikäläinen",
    company_name="Ö'Brien & Co Oy",
    link="https://asiointi.example.fi/register?token=" + "x" * 120,
)


def samples(count: int = 256) -> list[InvitationEmail]:
    """Distinct invitations (address, Message-ID, times), so no per-message cache helps."""
    return [
        dataclasses.replace(
            SAMPLE,
            to_email=f"user{i}@example.com",
            message_id=f"<bench.{i}@posti.fi>",
            sent_at=SAMPLE.sent_at + timedelta(seconds=i),
            expires_at=SAMPLE.expires_at + timedelta(seconds=61 * i),
        )
        for i in range(count)
    ]


def cycling(func: Callable[[InvitationEmail], object]) -> Callable[[], object]:
    """A no-argument call that feeds ``func`` the next sample each time."""
    feed = itertools.cycle(samples())
    return lambda: func(next(feed))


def bare_render() -> Callable[[InvitationEmail], object]:
    """The baseline: the same templates and calls, nothing else."""
    env = make_environment()
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    names = ("subject.txt", "_messages.txt", "body.html", "body.txt")
    subject, messages, html, text = (load(env, f"invitation/{n}") for n in names)
    layout_html, layout_text = load(env, "_layout.html"), load(env, "_layout.txt")
    values: dict[str, object] = {
        "to_name": SAMPLE.to_name, "inviter_name": SAMPLE.inviter_name,
        "company_name": SAMPLE.company_name, "invited_role": SAMPLE.invited_role,
        "link": SAMPLE.link, "validity_days": 7, "validity_hours": 0, "theme": POSTI,
        "expires_at": SAMPLE.expires_at.isoformat(),
    }

    def run(email: InvitationEmail) -> object:
        htmls, texts, subjects = [], [], []
        for lang in LANGUAGES:
            expires = email.expires_at.isoformat()
            context = dict(values, lang=lang, dir="ltr", first=lang == LANGUAGES[0],
                           customer_service_url=POSTI.customer_service_for(lang),
                           expires_at=expires, when=expires)
            context["title"] = title = subject.render(context).strip()
            context["m"] = messages.make_module(context)
            subjects.append(title)
            htmls.append(Markup(html.render(context)))
            texts.append(text.render(context))
        joined = " / ".join(subjects)
        return (
            layout_html.render(lang="fi", dir="ltr", subject=joined, preheader="", sections=htmls,
                               theme=POSTI),
            layout_text.render(sections=texts),
        )

    return run


def best_rates(
    funcs: dict[str, Callable[[], object]], rounds: int = 15, batch: int = 100
) -> dict[str, float]:
    """Calls per CPU-second of each function: best batch of ``rounds``, interleaved.

    CPU time (not wall time) and the best of interleaved batches keep other
    processes on a shared machine from skewing one side of the ratio.
    """
    best = dict.fromkeys(funcs, float("inf"))
    for func in funcs.values():  # warm-up: templates compiled, catalogs loaded
        for _ in range(20):
            func()
    for _ in range(rounds):
        for name, func in funcs.items():
            started = time.process_time()
            for _ in range(batch):
                func()
            best[name] = min(best[name], time.process_time() - started)
    return {name: batch / seconds for name, seconds in best.items()}


def main() -> None:
    renderer = renderer_for(POSTI)
    rates = best_rates({
        "bare": cycling(bare_render()),
        "render": cycling(renderer.render_invitation),
        "full": cycling(renderer.compose_invitation),
    })
    bare, render_only, full = rates["bare"], rates["render"], rates["full"]
    size = len(renderer.compose_invitation(SAMPLE).data)
    print(f"bare Jinja2 render (no i18n/inlining/MIME): {bare:10.0f} /s")
    print(f"render with catalogs + Babel (no MIME):      {render_only:10.0f} /s")
    print(f"full composition (MIME bytes, {size} B):    {full:10.0f} /s")
    print(f"full / bare time ratio: {bare / full:.2f}x (goal <= 3x); "
          f"full rate goal >= 1000/s per core: {'met' if full >= 1000 else 'NOT met'}")
    print("(rates are per CPU-second, best of 15 interleaved batches of 100)")


if __name__ == "__main__":
    main()
