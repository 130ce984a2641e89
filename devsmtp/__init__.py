"""devsmtp: a capture SMTP server with a JSON API and web inbox, for QA and tests."""

__version__ = "0.1.0"
