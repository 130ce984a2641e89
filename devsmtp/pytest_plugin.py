"""The ``pytest11`` entry point (``devsmtp = "devsmtp.pytest_plugin"``).

The plugin lives in :mod:`devsmtp.testing.plugin`; this module re-exports its
hooks, fixtures and :class:`Faults` so the entry point and old imports keep
working.
"""

from __future__ import annotations

from .testing.plugin import (
    TEST_BASE_URL,
    TEST_SECRET_KEYS,
    DevSMTPServer,
    Faults,
    clock,
    devsmtp_server,
    invitation_keys,
    invitation_service,
    mail_outbox,
    pytest_addoption,
    pytest_runtest_makereport,
    registration_client,
    smtp_bouncing,
    smtp_capture,
    smtp_capture_isolated,
    smtp_faults,
)

__all__ = [
    "TEST_BASE_URL",
    "TEST_SECRET_KEYS",
    "DevSMTPServer",
    "Faults",
    "clock",
    "devsmtp_server",
    "invitation_keys",
    "invitation_service",
    "mail_outbox",
    "pytest_addoption",
    "pytest_runtest_makereport",
    "registration_client",
    "smtp_bouncing",
    "smtp_capture",
    "smtp_capture_isolated",
    "smtp_faults",
]
