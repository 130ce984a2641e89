"""Credential orders in the SQL stores: the :class:`OrderStore` protocol and its
statements, written once for both backends (mixed into
:class:`~invitations.store.base.SQLStore`).

An order and its mail commit together, like an invitation and its mail: the
acknowledgement is queued in the transaction that stores the order, a rejection
mail in the one that rejects it. One open (``received``) order per company is
guaranteed by a partial unique index, so two forms sent at once for one company
store one order; the second sender is shown the first one's reference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from invitations.models import (
    Company,
    CredentialOrder,
    MessageKind,
    OrderReason,
    OrderStatus,
    OutgoingMessage,
)
from invitations.store import outbox as outbox_sql
from invitations.store.dialect import Dialect

__all__ = ["OrderStatements", "OrderStore"]

#: The columns a new order is inserted with (``number`` comes from the database).
_COLUMNS = ("company_id", "company_name", "contract_number", "order_contract", "services",
            "reason", "orderer_name", "orderer_email", "orderer_phone",
            "main_user_first_name", "main_user_last_name", "main_user_email",
            "previous_main_user_name", "previous_main_user_email", "languages", "status",
            "created_at")
_INSERT = (f"INSERT INTO credential_orders ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
           "ON CONFLICT DO NOTHING RETURNING number")
_SELECT = "SELECT * FROM credential_orders"


@runtime_checkable
class OrderStore(Protocol):
    """What the order service needs from storage (both SQL stores implement it)."""

    def add_order(self, order: CredentialOrder, *, now: datetime,
                  compose: Callable[[CredentialOrder], OutgoingMessage]
                  ) -> tuple[CredentialOrder, bool]:
        """Store ``order`` (its ``number`` is ignored) and queue the mail ``compose``
        makes for the stored order, in one transaction; ``(order, True)``. If the
        company already has an open order, nothing is written: ``(that order, False)``."""

    def get_order(self, number: int) -> CredentialOrder | None: ...

    def open_order(self, company_id: str) -> CredentialOrder | None:
        """The company's received (undecided) order, if any."""

    def list_orders(self, *, status: OrderStatus | None = None,
                    company_id: str | None = None) -> list[CredentialOrder]:
        """Orders, newest first."""

    def decide_order(self, number: int, *, status: OrderStatus, by: str, now: datetime,
                     contract_number: str | None = None, rejection_code: str | None = None,
                     rejection_text: str | None = None,
                     message: OutgoingMessage | None = None) -> bool:
        """Received -> ``status`` (and ``message`` queued), only if still received."""

    def link_order_invitation(self, number: int, invitation_id: str) -> bool:
        """Record the main-user invitation issued for an approved order."""

    def reopen_order(self, number: int, *, by: str) -> bool:
        """An approval ``by`` made whose invitation could not be issued goes back to
        received (only while no invitation is linked)."""


class OrderStatements:
    """The order methods of the SQL stores (see :class:`OrderStore`)."""

    dialect: Dialect

    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _mail_queued(self, conn: Any) -> None:
        """Wake idle workers at commit (the store's hook)."""

    def add_order(self, order: CredentialOrder, *, now: datetime,
                  compose: Callable[[CredentialOrder], OutgoingMessage]
                  ) -> tuple[CredentialOrder, bool]:
        encode = self.dialect.encode_time
        values: dict[str, object] = {
            "company_id": order.company.business_id, "company_name": order.company.name,
            "contract_number": order.company.contract_number,
            "order_contract": int(order.order_contract),
            "services": json.dumps(list(order.services)), "reason": str(order.reason),
            "orderer_name": order.orderer_name, "orderer_email": order.orderer_email,
            "orderer_phone": order.orderer_phone,
            "main_user_first_name": order.main_user_first_name,
            "main_user_last_name": order.main_user_last_name,
            "main_user_email": order.main_user_email,
            "previous_main_user_name": order.previous_main_user_name,
            "previous_main_user_email": order.previous_main_user_email,
            "languages": json.dumps(list(order.languages)),
            "status": str(OrderStatus.RECEIVED), "created_at": encode(order.created_at),
        }
        with self._write() as conn:
            row = conn.execute(self.dialect.sql(_INSERT), values).fetchone()
            if row is None:  # the company's open order was there first
                found = conn.execute(self.dialect.sql(
                    f"{_SELECT} WHERE company_id = :company AND status = 'received'"),
                    {"company": order.company.business_id}).fetchone()
                return order_from_row(found, self.dialect), False
            stored = order_from_row(conn.execute(
                self.dialect.sql(f"{_SELECT} WHERE number = :number"),
                {"number": row["number"]}).fetchone(), self.dialect)
            message = compose(stored)
            outbox_sql.queue(conn, self.dialect, None, MessageKind.ORDER_RECEIVED, message,
                             now, order_number=stored.number)
            self._mail_queued(conn)
        return stored, True

    def _one(self, where: str, params: dict[str, object]) -> CredentialOrder | None:
        with self._read() as conn:
            row = conn.execute(self.dialect.sql(f"{_SELECT} WHERE {where}"), params).fetchone()
        return None if row is None else order_from_row(row, self.dialect)

    def get_order(self, number: int) -> CredentialOrder | None:
        return self._one("number = :number", {"number": number})

    def open_order(self, company_id: str) -> CredentialOrder | None:
        return self._one("company_id = :company AND status = 'received'",
                         {"company": company_id})

    def list_orders(self, *, status: OrderStatus | None = None,
                    company_id: str | None = None) -> list[CredentialOrder]:
        where, params = [], {}
        if status is not None:
            where.append("status = :status")
            params["status"] = str(status)
        if company_id is not None:
            where.append("company_id = :company")
            params["company"] = company_id
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(self.dialect.sql(f"{_SELECT}{clause} ORDER BY number DESC"),
                                params).fetchall()
        return [order_from_row(row, self.dialect) for row in rows]

    def decide_order(self, number: int, *, status: OrderStatus, by: str, now: datetime,
                     contract_number: str | None = None, rejection_code: str | None = None,
                     rejection_text: str | None = None,
                     message: OutgoingMessage | None = None) -> bool:
        with self._write() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE credential_orders SET status = :status, decided_at = :now, "
                "decided_by = :by, contract_number = COALESCE(:contract, contract_number), "
                "rejection_code = :code, rejection_text = :text "
                "WHERE number = :number AND status = 'received'"),
                {"status": str(status), "now": self.dialect.encode_time(now), "by": by,
                 "contract": contract_number, "code": rejection_code, "text": rejection_text,
                 "number": number})
            if cur.rowcount != 1:
                return False
            if message is not None:
                outbox_sql.queue(conn, self.dialect, None, MessageKind.ORDER_REJECTED,
                                 message, now, order_number=number)
                self._mail_queued(conn)
        return True

    def link_order_invitation(self, number: int, invitation_id: str) -> bool:
        with self._write() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE credential_orders SET invitation_id = :invitation "
                "WHERE number = :number AND status = 'approved'"),
                {"invitation": invitation_id, "number": number})
            return bool(cur.rowcount == 1)

    def reopen_order(self, number: int, *, by: str) -> bool:
        with self._write() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE credential_orders SET status = 'received', decided_at = NULL, "
                "decided_by = NULL WHERE number = :number AND status = 'approved' "
                "AND decided_by = :by AND invitation_id IS NULL"),
                {"number": number, "by": by})
            return bool(cur.rowcount == 1)


def order_from_row(row: Any, dialect: Dialect) -> CredentialOrder:
    """A ``credential_orders`` row as a :class:`~invitations.models.CredentialOrder`."""
    return CredentialOrder(
        number=int(row["number"]),
        company=Company(row["company_id"], row["company_name"], row["contract_number"]),
        reason=OrderReason(row["reason"]),
        orderer_name=row["orderer_name"],
        orderer_email=row["orderer_email"],
        orderer_phone=row["orderer_phone"],
        main_user_first_name=row["main_user_first_name"],
        main_user_last_name=row["main_user_last_name"],
        main_user_email=row["main_user_email"],
        previous_main_user_name=row["previous_main_user_name"],
        previous_main_user_email=row["previous_main_user_email"],
        services=tuple(json.loads(row["services"])),
        order_contract=bool(row["order_contract"]),
        languages=tuple(json.loads(row["languages"])),
        status=OrderStatus(row["status"]),
        created_at=dialect.decode_time(row["created_at"]),
        decided_at=dialect.decode_optional_time(row["decided_at"]),
        decided_by=row["decided_by"],
        rejection_code=row["rejection_code"],
        rejection_text=row["rejection_text"],
        invitation_id=row["invitation_id"],
    )
