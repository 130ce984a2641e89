"""Invitations from a CSV file: every row checked first, then queued in batches
and sent in parallel. :func:`send_csv` runs it (:mod:`~invitations.delivery.bulk.send`);
the columns are described in :mod:`~invitations.delivery.bulk.rows`.
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
