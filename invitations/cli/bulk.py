"""``invitations send-bulk --csv FILE``: invitations for every row of a CSV file.

Also what ``invitations send --csv FILE`` runs. Bad rows are listed (line and
reason) on standard error, progress goes to standard error (a bar with rate
and ETA on a terminal, a line every few seconds otherwise), the summary to
standard output. Exit status: 0 all sent or queued for retry, 1 a row was bad,
the file unusable (empty, no rows, a bad header, not UTF-8, an unterminated quote:
nothing is sent) or a message failed, 130 stopped by Ctrl-C (unsent mail stays queued).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

import click

from invitations.cli.deliver import failed_line
from invitations.cli.output import bulk_options, emit, fail, json_option, lang_option, language
from invitations.cli.signals import stop_on_signals
from invitations.config import Settings
from invitations.delivery.bulk import BulkReport, RowProblem, send_csv, validate_csv
from invitations.errors import InvitationError
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_


class Progress:
    """Thread-safe progress display: a redrawn bar on a TTY, periodic lines otherwise."""

    def __init__(self, stream: TextIO | None = None, *, every: float | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every if every is not None else (0.2 if self.tty else 5.0)
        self.started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.every and done < total:
                return
            self._last = now
            self.stream.write(self.render(done, total, now - self.started))
            self.stream.flush()

    def render(self, done: int, total: int, elapsed: float) -> str:
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        share = done / total if total else 1.0
        figures = (
            f"{done}/{total} {share:4.0%}  {rate:6.1f} msg/s  "
            f"ETA {int(eta) // 60:d}:{int(eta) % 60:02d}"
        )
        if not self.tty:
            return f"{time.strftime('%H:%M:%S')} {figures}\n"
        bar = "#" * int(30 * share)
        return f"\r[{bar:<30}] {figures}"

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _problem_printer(lang: str, problems: list[dict[str, Any]] | None) -> Any:
    def show(problem: RowProblem) -> None:
        if problems is not None:
            problems.append({"line": problem.line, "codes": [e.code for e in problem.errors],
                             "message": problem.message(lang)})
        else:
            click.echo(Text(T_("line %(line)s: %(message)s"), line=problem.line,
                            message=problem.message(lang)).message(lang), err=True)

    return show


def run_bulk(csv_path: str, *, skip_invalid: bool = False, workers: int = 4,
             rate: float | None = None, check_only: bool = False, queue_only: bool = False,
             lang: str | None = None, as_json: bool = False) -> None:
    """Run a bulk send from the command line and exit with its status."""
    lang = language(lang)
    problems: list[dict[str, Any]] | None = [] if as_json else None
    show_problem = _problem_printer(lang, problems)
    progress = Progress()
    try:
        if check_only:
            report = validate_csv(csv_path, show_problem)
        else:
            settings = Settings.from_env()
            with settings.service() as service, stop_on_signals(threading.Event(), lang) as stop:
                report = send_csv(
                    csv_path, service=service,
                    transport=None if queue_only else settings.transport, workers=workers,
                    rate=rate, skip_invalid=skip_invalid, stop=stop, on_problem=show_problem,
                    on_progress=None if as_json else progress,
                    on_failure=lambda what, reply: click.echo(
                        failed_line(what, reply, lang), err=True),
                )
            progress.finish()
    except InvitationError as error:
        if problems:  # the bad rows found before the file turned out unusable
            emit({"ok": False, **error.to_dict(), "problems": problems})
            sys.exit(1)
        fail(error, as_json, lang)
    _summarise(report, problems, check_only=check_only, skip_invalid=skip_invalid,
               elapsed=time.monotonic() - progress.started, lang=lang)


def _summarise(report: BulkReport, problems: list[dict[str, Any]] | None, *, check_only: bool,
               skip_invalid: bool, elapsed: float, lang: str) -> None:
    refused = report.invalid and not skip_invalid
    if problems is not None:
        emit({"ok": report.ok or (skip_invalid and report.failed == 0 and not report.stopped),
               "rows": report.rows, "sent": report.sent, "queued": report.queued + report.unsent,
               "failed": report.failed, "skipped": report.invalid, "stopped": report.stopped,
               "seconds": round(elapsed, 3), "problems": problems})
    elif check_only:
        click.echo(Text(T_("%(rows)s rows: %(valid)s valid, %(invalid)s invalid"),
                        rows=report.rows, valid=report.rows - report.invalid,
                        invalid=report.invalid).message(lang))
    elif refused:
        click.echo(Text(T_("%(invalid)s of %(rows)s rows are invalid; nothing was sent (fix "
                           "them, or use --skip-invalid to send the valid rows)"),
                        invalid=report.invalid, rows=report.rows).message(lang), err=True)
    else:
        click.echo(Text(T_("sent %(sent)s, queued for retry %(queued)s, failed %(failed)s, "
                           "skipped %(skipped)s (%(seconds)s s)"),
                        sent=report.sent, queued=report.queued + report.unsent,
                        failed=report.failed, skipped=report.invalid,
                        seconds=f"{elapsed:.1f}").message(lang))
        if report.stopped:
            click.echo(Text(T_("stopped: the remaining rows were not read; queued mail is "
                               "sent by 'invitations deliver'")).message(lang), err=True)
    if report.stopped:
        sys.exit(130)
    sys.exit(1 if refused or report.failed or (check_only and report.invalid) else 0)


@click.command("send-bulk")
@click.option("--csv", "csv_path", required=True,
              type=click.Path(exists=True, dir_okay=False, readable=True),
              help="CSV file with a header row (see docs for the columns).")
@bulk_options
@click.option("--check", "check_only", is_flag=True, help="Only validate the file.")
@click.option("--queue-only", is_flag=True,
              help="Queue the invitations; 'invitations deliver' sends them.")
@lang_option
@json_option
def send_bulk(csv_path: str, skip_invalid: bool, workers: int, rate: float | None,
              check_only: bool, queue_only: bool, lang: str | None, as_json: bool) -> None:
    """Invite every row of a CSV file: validate all rows first, then send in parallel."""
    run_bulk(csv_path, skip_invalid=skip_invalid, workers=workers, rate=rate,
             check_only=check_only, queue_only=queue_only, lang=lang, as_json=as_json)
