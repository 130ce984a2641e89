"""The ``devsmtp`` command (:mod:`.commands`) and its API client (:mod:`.client`)."""

from __future__ import annotations

from .commands import main

__all__ = ["main"]
