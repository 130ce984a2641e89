"""What a log line at INFO and above may show of an e-mail address: its domain.

Relay replies quote the recipient (``550 5.1.1 <matti@example.fi>: User unknown``);
operators need the reply, and the domain often tells why, but the address itself
appears only at DEBUG (see "Logging" in the operators' guide).
"""

from __future__ import annotations

import re

__all__ = ["mask_addresses"]

# A local part (dot-atom or quoted, also non-ASCII), then @ and a domain.
_ADDRESS = re.compile(r'(?:"[^"\r\n]*"|[^\s<>()\[\],;:@"]+)@(?=[^\s<>()\[\],;:@"]+)')


def mask_addresses(text: str) -> str:
    """``text`` with the local part of every e-mail address replaced by ``***``."""
    return _ADDRESS.sub("***@", text)
