"""The SMTP room: the aiosmtpd handler, the server protocol, TLS and fault rules."""

from __future__ import annotations

from .faults import CODES, STAGES, FaultRule, Faults
from .handler import CaptureHandler, SessionInfo
from .protocol import CaptureSMTP
from .tls import ensure_certificate, server_context

__all__ = [
    "CODES",
    "STAGES",
    "CaptureHandler",
    "CaptureSMTP",
    "FaultRule",
    "Faults",
    "SessionInfo",
    "ensure_certificate",
    "server_context",
]
