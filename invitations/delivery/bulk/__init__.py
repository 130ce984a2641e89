"""Bulk invitations from a CSV file: validate every row, then queue and send in parallel.

The file is read once, row by row, never held in memory: every row is
checked (each bad row reported with its line number and reason) and the good
ones are kept in a temporary file, so that what is sent is exactly what was
checked. Then, if all rows are good or ``skip_invalid`` is set, the rows are
queued in batches (one store transaction each, mail composed in helper
processes for big files: :mod:`invitations.delivery.bulk.enqueue`) and handed to
``workers`` threads that send over their own reused SMTP connections while the
next batches are prepared. Stopping (Ctrl-C) leaves every queued but unsent
message in the outbox for ``invitations deliver``. The columns are
described in :mod:`invitations.delivery.bulk.rows`.
"""

from __future__ import annotations

from invitations.delivery.bulk.rows import (
    OPTIONAL,
    REQUIRED,
    BulkInvite,
    DuplicateRow,
    RowProblem,
    parse_file,
    parse_record,
    read_records,
)
from invitations.delivery.bulk.send import BulkReport, send_csv, validate_csv
from invitations.errors import CSVFormatError

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "BulkInvite",
    "BulkReport",
    "CSVFormatError",
    "DuplicateRow",
    "RowProblem",
    "parse_file",
    "parse_record",
    "read_records",
    "send_csv",
    "validate_csv",
]
