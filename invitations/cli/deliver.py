"""``invitations deliver``: send the outbox once, keep sending (``--watch``), or
give failed mail another chance (``--retry-failed``).

``INVITATIONS_DB`` and ``INVITATIONS_TRANSPORT`` say where from and through what;
``INVITATIONS_SENDER``, ``INVITATIONS_LANGUAGES`` and ``INVITATIONS_OPERATOR_ADDRESS``
shape the notice an inviter gets when a relay refuses an invitation for good
(:mod:`invitations.notify`). A delivery worker needs no signing keys.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click
from click.decorators import FC

from invitations.cli.logs import log_options, setup_logging
from invitations.cli.output import emit, fail, json_option, lang_option, language
from invitations.cli.signals import stop_on_signals
from invitations.clock import SystemClock
from invitations.config import DEFAULT_TRANSPORT, follow_up_from_env, store_from_env
from invitations.delivery import (
    DEFAULT_LEASE,
    MAX_ATTEMPTS,
    DeliveryReport,
    RateLimiter,
    RetryPolicy,
    requeue_failed,
    run_workers,
)
from invitations.errors import InvitationError
from invitations.i18n.formatting import Text, format_time
from invitations.i18n.texts import T_
from invitations.transports import Transport, transport_from_url

if TYPE_CHECKING:
    from invitations.cli.metrics import Metrics


def summary(report: DeliveryReport, lang: str = "en") -> str:
    return Text(T_("sent %(sent)s, queued for retry %(queued)s, failed %(failed)s"),
                sent=report.sent, queued=report.queued, failed=report.failed).message(lang)


def failed_line(what: str, reply: str, lang: str) -> str:
    """One message that failed for good, and the server's reply."""
    return Text(T_("failed %(what)s: %(reply)s"), what=what, reply=reply).message(lang)


def _number(
    name: str, kind: click.IntRange | click.FloatRange, default: float, help: str
) -> Callable[[FC], FC]:
    """A numeric option whose ``--help`` shows its default."""
    return click.option(name, type=kind, default=default, show_default=True, help=help)


@click.command("deliver")
@click.option("--watch", is_flag=True, help="Keep running as a worker until Ctrl-C or SIGTERM.")
@click.option("--retry-failed", is_flag=True, help="Queue failed messages again, then send.")
@_number("--workers", click.IntRange(1, 64), 1, "Parallel connections to the relay.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="At most this many messages per second (all workers together).",
)
@_number("--interval", click.FloatRange(min=0.05), 5.0,
         "Seconds between looks at the queue in --watch mode.")
@_number("--lease", click.FloatRange(min=1), DEFAULT_LEASE.total_seconds(),
         "Seconds a claimed message is reserved for this worker.")
@_number("--max-attempts", click.IntRange(min=1), MAX_ATTEMPTS,
         "Attempts before a temporarily failing message fails.")
@_number("--backoff", click.FloatRange(min=0), 30.0,
         "Seconds before the first retry; doubles with each attempt.")
@_number("--backoff-cap", click.FloatRange(min=0), 3600.0,
         "Longest wait between two attempts, in seconds.")
@click.option("--metrics", "metrics_address", default=None, metavar="HOST:PORT",
              help="Serve Prometheus metrics there, e.g. 127.0.0.1:9108 (needs the "
              "'metrics' extra).")
@log_options()
@lang_option
@json_option
def deliver_command(
    watch: bool,
    retry_failed: bool,
    workers: int,
    rate: float | None,
    interval: float,
    lease: float,
    max_attempts: int,
    backoff: float,
    backoff_cap: float,
    metrics_address: str | None,
    log_level: str,
    log_format: str,
    lang: str | None,
    as_json: bool,
) -> None:
    """Send queued invitation mail through INVITATIONS_TRANSPORT.

    Exit status 1 when a message failed permanently in this run.
    """
    setup_logging(log_level.lower(), log_format)
    lang = language(lang)
    clock = SystemClock()
    try:
        url = os.environ.get("INVITATIONS_TRANSPORT", "").strip() or DEFAULT_TRANSPORT
        transport_from_url(url)  # a mistyped URL stops here, before any work
        if backoff > backoff_cap:
            raise click.BadParameter(
                Text(T_("--backoff must not exceed --backoff-cap")).message(lang))
        policy = RetryPolicy(
            timedelta(seconds=backoff), timedelta(seconds=backoff_cap), max_attempts
        )
        store = store_from_env()
    except InvitationError as error:
        fail(error, as_json, lang)
    try:
        # Events and the inviter's notice of a 5xx, as the service does when it sends.
        follow_up = follow_up_from_env(store, clock)
    except InvitationError as error:
        store.close()
        fail(error, as_json, lang)
    metrics: Metrics | None = None
    if metrics_address is not None:
        from invitations.cli.metrics import Metrics

        try:
            metrics = Metrics(metrics_address, store, clock)
        except InvitationError as error:
            store.close()
            fail(error, as_json, lang)

    def factory() -> Transport:
        return transport_from_url(url)

    def progress(report: DeliveryReport) -> None:
        if metrics is not None:
            metrics.count(report)
        if watch and not as_json:
            stamp = time.strftime("%H:%M:%S")
            click.echo(f"{stamp} {summary(report, lang)}", err=watch)

    with store, stop_on_signals(threading.Event(), lang) as stop:
        requeued = requeue_failed(store, now=clock.now()) if retry_failed else 0
        started = time.monotonic()
        report = run_workers(
            store,
            factory if metrics is None else metrics.timed(factory),
            clock=clock,
            workers=workers,
            watch=watch,
            interval=interval,
            stop=stop,
            policy=policy,
            lease=timedelta(seconds=lease),
            pace=RateLimiter(rate) if rate else None,
            on_report=progress if watch or metrics is not None else None,
            on_result=follow_up,
        )
        if metrics is not None:
            metrics.close()
        waiting = (0, None) if watch else store.waiting()
    elapsed = time.monotonic() - started
    if as_json:
        emit(
            {
                "ok": report.failed == 0,
                "sent": report.sent,
                "queued": report.queued,
                "failed": report.failed,
                "requeued": requeued,
                "waiting": waiting[0],
                "next_attempt_at": waiting[1].isoformat() if waiting[1] else None,
                "seconds": round(elapsed, 3),
                "failures": [{"message_id": m, "reply": r} for m, r in report.failures],
            }
        )
    else:
        if requeued:
            click.echo(Text(T_("queued %(count)s failed message(s) again"),
                            count=requeued).message(lang))
        for message_id, reply in report.failures:
            click.echo(failed_line(message_id, reply, lang), err=True)
        click.echo(f"{summary(report, lang)} ({elapsed:.1f} s)")
        _say_waiting(*waiting, lang)
    sys.exit(1 if report.failed else 0)


_WAITING = T_(
    "%(count)s message(s) wait in the queue; the next attempt is due %(due)s. Run `invitations "
    "deliver` again then, or keep `invitations deliver --watch` running."
)


def _say_waiting(count: int, due: datetime | None, lang: str) -> None:
    if count:
        when = format_time(due, lang) if due is not None else "-"
        click.echo(Text(_WAITING, count=count, due=when).message(lang))
