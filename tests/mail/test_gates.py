"""Gates on the sent mail, judged by tools nobody here wrote: SpamAssassin
(offline, local tests only) and caniemail's client-support data (devsmtp.checks)."""

from __future__ import annotations

import pytest

from devsmtp.checks.compat import html_compatibility
from devsmtp.checks.spam import spam_score
from tests.mail.variants import VARIANTS, composed, rendered

#: The clients whose users get this mail most: a feature none of their platforms
#: support must have a fallback in the markup, and be listed below saying which.
GATED = ("outlook-windows", "gmail", "apple-mail", "outlook-com")

#: caniemail slug -> the fallback that makes it safe where it is unsupported.
ALLOWED = {
    # Progressive enhancement: without it the light design shows, which is complete.
    "html-meta-color-scheme": "ignored: the light design is shown (it is complete)",
    "css-color-scheme": "only inside the dark-mode media query; ignored -> light design",
    "css-at-media-prefers-color-scheme": "dark rules ignored -> the light design, "
                                         "whose colours survive a client's own inversion",
    "css-at-media": "hybrid layout: the inline styles fit every width without the media "
                    "query (Outlook gets a fixed 600 px table in conditional comments)",
    # Cosmetic only.
    "css-border-radius": "square corners on the button in Outlook for Windows",
    "html-doctype": "Outlook for Windows ignores it; nothing depends on standards mode",
    # <time datetime> for QA tools: its text is the visible expiry in every client.
    "html-semantics": "<time> renders as plain inline text where unknown",
    # The preheader: mso-hide:all hides it in Outlook for Windows, which lacks these.
    "css-opacity": "preheader hiding; Outlook for Windows uses mso-hide:all",
    "css-max-height": "preheader hiding; Outlook for Windows uses mso-hide:all",
    "css-overflow": "preheader hiding; Outlook for Windows uses mso-hide:all",
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_spamassassin_scores_at_most_zero(name: str) -> None:
    report = spam_score(composed(name).data)
    # Not a skip: `make test` installs SpamAssassin (make sysdeps).
    assert report.available, f"SpamAssassin could not run: {report.reason}"
    hits = "\n".join(f"  {rule.points:+.1f} {rule.name}: {rule.description}"
                     for rule in report.rules)
    assert report.score is not None and report.score <= 0.0, (
        f"{name} scores {report.score}:\n{hits}")


@pytest.mark.parametrize("name", ["invitation-fi-sv-en", "invitation-main-user", "confirmation",
                                  "undeliverable-mailbox_unknown"])
def test_no_unsupported_feature_without_a_fallback(name: str) -> None:
    report = html_compatibility(rendered(name).html, clients=GATED)
    problems = [
        f"{feature.slug} ({feature.title}): unsupported in {', '.join(feature.unsupported)}; "
        f"lines {list(feature.lines)}; {feature.url}"
        for feature in report.unsupported
        if set(feature.unsupported) & set(GATED) and feature.slug not in ALLOWED
    ]
    assert not problems, "\n".join(problems)


def test_the_allow_list_has_no_stale_entries() -> None:
    used = {
        feature.slug
        for name in ("invitation-fi-sv-en", "invitation-main-user", "confirmation")
        for feature in html_compatibility(rendered(name).html, clients=GATED).unsupported
        if set(feature.unsupported) & set(GATED)
    }
    assert set(ALLOWED) <= used, f"allowed but no longer needed: {set(ALLOWED) - used}"
