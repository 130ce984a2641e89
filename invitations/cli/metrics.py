"""``deliver --watch --metrics HOST:PORT``: Prometheus metrics of a delivery worker.

- ``invitations_outbox_rows{state}``: outbox rows per state (queued, sent, failed),
  read from the database at each scrape (so every worker shows the same totals);
  ``state="lease_expired"``: queued rows whose worker's lease ran out (a dead
  worker's rows, waiting to be taken over).
- ``invitations_delivery_messages_total{outcome}``: sent, retried (temporary
  failure, queued again), failed (permanent), by this process.
- ``invitations_delivery_seconds``: histogram of one message's hand-over to the relay.

prometheus-client (the ``metrics`` extra) is imported only when ``--metrics`` is used.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from invitations.clock import Clock
from invitations.delivery import DeliveryReport
from invitations.errors import ConfigurationError, InvitationError
from invitations.store.base import SQLStore
from invitations.transports import Transport
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult

__all__ = ["Metrics"]


class Metrics:
    """The registry, its HTTP endpoint, and the hooks the worker loop calls."""

    def __init__(self, address: str, store: SQLStore, clock: Clock) -> None:
        try:
            import prometheus_client as prom
            from prometheus_client.core import GaugeMetricFamily
            from prometheus_client.registry import Collector
        except ImportError:
            raise ConfigurationError(
                "--metrics needs prometheus-client: pip install 'invitations[metrics]'"
            ) from None
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigurationError(f"--metrics {address}: use HOST:PORT, e.g. 127.0.0.1:9108")
        self.registry = prom.CollectorRegistry()
        self.messages = prom.Counter("invitations_delivery_messages", "Delivery outcomes "
                                     "of this process.", ["outcome"], registry=self.registry)
        self.seconds = prom.Histogram("invitations_delivery_seconds", "Time to hand one "
                                      "message to the relay.", registry=self.registry,
                                      buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))

        class Outbox(Collector):
            def collect(self) -> Iterator[GaugeMetricFamily]:
                family = GaugeMetricFamily("invitations_outbox_rows",
                                           "Outbox rows per delivery state.", labels=["state"])
                try:
                    depth = store.outbox_depth(now=clock.now())
                except InvitationError:  # the database is away: no sample, no crash
                    depth = {}
                for state, count in sorted(depth.items()):
                    family.add_metric([state], count)
                yield family

        self.registry.register(Outbox())
        try:
            self.server, self.thread = prom.start_http_server(int(port), addr=host,
                                                              registry=self.registry)
        except OSError as error:
            raise ConfigurationError(f"--metrics {address}: cannot listen ({error})") from None

    def count(self, report: DeliveryReport) -> None:
        self.messages.labels("sent").inc(report.sent)
        self.messages.labels("retried").inc(report.queued)
        self.messages.labels("failed").inc(report.failed)

    def timed(self, factory: Callable[[], Transport]) -> Callable[[], Transport]:
        histogram = self.seconds

        class Timed(BaseTransport):
            def __init__(self) -> None:
                self.inner = factory()

            def open(self) -> None:
                self.inner.open()

            def close(self) -> None:
                self.inner.close()

            def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
                started = time.perf_counter()
                try:
                    return self.inner.send(messages)
                finally:
                    histogram.observe((time.perf_counter() - started) / max(1, len(messages)))

            def __exit__(self, *exc: Any) -> None:
                self.inner.__exit__(*exc)

        return Timed

    def close(self) -> None:
        self.server.shutdown()
