"""devsmtp throughput against a bare aiosmtpd handler and MailDev, same run, same client.

Each server runs in its own process; the client is an asyncio SMTP client (one
connection per worker, no pipelining) in this process, so the server's work is
what is measured. Every run sends ``N`` ~4 KB messages with unique subjects at
concurrency 1 and 8 and then checks that every one was stored. The baseline is
aiosmtpd's ``SMTP`` with a handler that only counts, on the stock asyncio loop
(what the goals are stated against); the same sink on uvloop is measured too, for
reference, because devsmtp runs on uvloop. MailDev comes from npm (installed into
/tmp/maildev, never into the repository); when npm or node is missing, the table
says so. Ratios are taken round by round (every server gets the same slice in
turn), and the table gives their median and range, since the machines this runs
on are shared and noisy.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

N = int(os.environ.get("DEVSMTP_BENCH_N", "5000"))
CONCURRENCY = (1, 8)
MAILDEV_DIR = Path(os.environ.get("DEVSMTP_BENCH_MAILDEV", "/tmp/maildev"))

BARE_SERVER = r"""
import asyncio, sys
from aiosmtpd.smtp import SMTP

class Counter:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Counter.count += 1
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    handler = Counter()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="bare", enable_SMTPUTF8=True, loop=loop),
        "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        print(Counter.count, flush=True)

RUN(main())
"""


def message(tag: str, index: int) -> bytes:
    """A ~4 KB message with a unique subject, CRLF line ends, no leading dots."""
    body = "".join(
        f"Rivi {n:03d}: Kutsu käyttäjäksi / Inbjudan / Invitation {'x' * 40}\r\n"
        for n in range(50)
    )
    head = (
        f"From: Posti <noreply@posti.fi>\r\nTo: bench@example.com\r\n"
        f"Subject: {tag}-{index}\r\nMessage-ID: <{tag}-{index}@bench>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return (head + body).encode()


async def _reply(reader: asyncio.StreamReader) -> bytes:
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("server closed the connection")
        if line[3:4] != b"-":
            return line


async def _worker(port: int, messages: list[bytes]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _reply(reader)
    writer.write(b"EHLO bench\r\n")
    await _reply(reader)
    stored = 0
    for data in messages:
        for command, expect in (
            (b"MAIL FROM:<bench@example.com>\r\n", b"2"),
            (b"RCPT TO:<bench@example.com>\r\n", b"2"),
            (b"DATA\r\n", b"3"),
        ):
            writer.write(command)
            reply = await _reply(reader)
            if not reply.startswith(expect):
                raise RuntimeError(f"unexpected reply {reply!r}")
        writer.write(data + b".\r\n")
        if (await _reply(reader)).startswith(b"250"):
            stored += 1
    writer.write(b"QUIT\r\n")
    await _reply(reader)
    writer.close()
    return stored


def load(port: int, messages: list[bytes], concurrency: int) -> tuple[float, int]:
    """Send ``messages`` over ``concurrency`` connections; ``(seconds, 250s)``."""
    shares = [messages[i::concurrency] for i in range(concurrency)]

    async def run() -> tuple[float, int]:
        started = time.perf_counter()
        counts = await asyncio.gather(*(_worker(port, share) for share in shares))
        return time.perf_counter() - started, sum(counts)

    try:
        import uvloop

        return uvloop.run(run())
    except ImportError:
        return asyncio.run(run())


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@dataclass
class Target:
    name: str
    port: int
    stored: Callable[[], set[str] | int]
    pid: int


@contextmanager
def bare_server(loop: str = "asyncio") -> Iterator[Target]:
    run = "asyncio.run" if loop == "asyncio" else "__import__('uvloop').run"
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_SERVER.replace("RUN(", f"{run}(")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    port = int(process.stdout.readline())

    def count() -> int:
        assert process.stdout is not None and process.stdin is not None
        process.stdin.write(b"count\n")
        process.stdin.flush()
        return int(process.stdout.readline())

    try:
        yield Target(f"aiosmtpd bare ({loop})", port, count, process.pid)
    finally:
        process.stdin.close()
        _stop(process)


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


@contextmanager
def devsmtp_server(data: Path, *extra: str) -> Iterator[Target]:
    process = subprocess.Popen(
        [sys.executable, "-m", "devsmtp", "serve", "--smtp", "127.0.0.1:0", "--http",
         "127.0.0.1:0", "--data", str(data), "--max-messages", "100000", *extra],
        stdout=subprocess.DEVNULL,
    )
    ports_file = data / "ports.json"
    for _ in range(300):  # bounded: 30 s
        if ports_file.exists():
            break
        time.sleep(0.1)
    ports = json.loads(ports_file.read_text())

    def subjects() -> set[str]:
        found: set[str] = set()
        url = f"{ports['api']}/messages?limit=1000"
        for _ in range(1000):  # bounded paging
            page = _get_json(url)
            assert isinstance(page, dict)
            found.update(m["subject"] for m in page["messages"])
            if page["next"] is None:
                break
            url = f"{ports['api']}/messages?limit=1000&before={page['next']}"
        return found

    try:
        name = "devsmtp (no fsync)" if extra else "devsmtp (fsync: durable)"
        yield Target(name, int(ports["smtp_port"]), subjects, process.pid)
    finally:
        _stop(process)


def _free_port() -> int:
    # MailDev refuses port 0, so it needs a port picked for it (bench only).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def maildev_bin() -> tuple[Path | None, str]:
    """MailDev's executable, installing it from npm when possible; or why not."""
    executable = MAILDEV_DIR / "node_modules" / ".bin" / "maildev"
    if executable.exists():
        return executable, ""
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        return None, "node/npm not installed"
    try:
        version = subprocess.run([npm, "view", "maildev", "version"], capture_output=True,
                                 text=True, timeout=60, check=True).stdout.strip()
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix",
                        str(MAILDEV_DIR), f"maildev@{version}"], capture_output=True,
                       timeout=300, check=True)
    except (subprocess.SubprocessError, OSError) as error:
        return None, f"npm install maildev failed: {error}"
    return (executable, "") if executable.exists() else (None, "maildev missing after install")


@contextmanager
def maildev_server(executable: Path, data: Path) -> Iterator[Target]:
    smtp, web = _free_port(), _free_port()
    process = subprocess.Popen(
        [str(executable), "--smtp", str(smtp), "--web", str(web), "--ip", "127.0.0.1",
         "--web-ip", "127.0.0.1", "--mail-directory", str(data), "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(300):  # bounded: 30 s
        try:
            socket.create_connection(("127.0.0.1", smtp), timeout=1).close()
            _get_json(f"http://127.0.0.1:{web}/api/healthz")
            break
        except OSError:
            time.sleep(0.1)

    def subjects() -> set[str]:
        emails = _get_json(f"http://127.0.0.1:{web}/api/email")
        assert isinstance(emails, list)
        return {e["subject"] for e in emails}

    try:
        yield Target("MailDev (npm, --mail-directory)", smtp, subjects, process.pid)
    finally:
        _stop(process)


ROUNDS = 5
#: Results: per target, per concurrency, the rate of each round (msgs/s).
Rates = dict[str, dict[int, list[float]]]


def measure(targets: list[Target]) -> tuple[Rates, dict[str, int]]:
    """Each round's rate per target and concurrency, and the messages each lost.

    The targets take turns in ``ROUNDS`` slices of ``N / ROUNDS`` messages, so a
    load spike from other processes on the machine hits every target alike and
    the ratios stay fair.
    """
    rates: Rates = {t.name: {c: [] for c in CONCURRENCY} for t in targets}
    accepted = {(t.name, c): 0 for t in targets for c in CONCURRENCY}
    expected: set[str] = set()
    for concurrency in CONCURRENCY:
        warm = [message(f"warm{concurrency}", i) for i in range(50)]
        expected.update(f"warm{concurrency}-{i}" for i in range(50))
        for target in targets:
            load(target.port, warm, concurrency)  # warm-up, not timed
        tag = f"c{concurrency}"
        expected.update(f"{tag}-{i}" for i in range(N))
        for round_ in range(ROUNDS):
            messages = [message(tag, i) for i in range(round_, N, ROUNDS)]
            order = targets if round_ % 2 == 0 else targets[::-1]
            for target in order:
                elapsed, ok = load(target.port, messages, concurrency)
                rates[target.name][concurrency].append(len(messages) / elapsed)
                accepted[target.name, concurrency] += ok
    lost: dict[str, int] = {}
    for target in targets:
        stored = target.stored()
        lost[target.name] = (len(expected) - stored if isinstance(stored, int)
                             else len(expected - stored))
        for concurrency in CONCURRENCY:
            rate = statistics.median(rates[target.name][concurrency])
            print(f"  {target.name:<34} c={concurrency}  {rate:7.0f} msgs/s  "
                  f"250s {accepted[target.name, concurrency]}/{N}  lost {lost[target.name]}",
                  flush=True)
    return rates, lost


def ratio(rates: Rates, mine: str, base: str, concurrency: int) -> str:
    """``median [min-max]`` of the round-by-round ratio of two targets' rates."""
    each = [a / b for a, b in zip(rates[mine][concurrency], rates[base][concurrency],
                                  strict=True)]
    return f"{statistics.median(each):.2f} [{min(each):.2f}-{max(each):.2f}]"


def main() -> None:
    print(f"devsmtp bench: {N} messages of ~{len(message('c1', 0)) // 1024} KB per "
          f"concurrency {CONCURRENCY}, loopback, {os.cpu_count()} CPUs, "
          f"{ROUNDS} interleaved rounds; rates are medians of the rounds", flush=True)
    executable, why = maildev_bin()
    with tempfile.TemporaryDirectory(prefix="devsmtp-bench-") as tmp, ExitStack() as stack:
        bare = stack.enter_context(bare_server())
        bare_uv = stack.enter_context(bare_server("uvloop"))
        devsmtp = stack.enter_context(devsmtp_server(Path(tmp) / "devsmtp"))
        nosync = stack.enter_context(devsmtp_server(Path(tmp) / "nosync", "--no-fsync"))
        targets = [bare, bare_uv, devsmtp, nosync]
        maildev = None
        if executable is not None:
            maildev = stack.enter_context(maildev_server(executable, Path(tmp) / "maildev"))
            targets.append(maildev)
        else:
            print(f"  MailDev: not measured ({why})")
        rates, lost = measure(targets)
        stored = (N + 50) * len(CONCURRENCY)
        rss = _rss_mb(devsmtp.pid)
        print(f"  devsmtp RSS after {stored} stored messages: {rss:.0f} MB", flush=True)
    print("  ratios per round, median [range]:")
    for target in (devsmtp, nosync):
        for concurrency in CONCURRENCY:
            against = [("bare", bare), ("bare-uvloop", bare_uv), ("maildev", maildev)]
            line = f"  {target.name} c={concurrency}: " + ", ".join(
                f"/{label} {ratio(rates, target.name, base.name, concurrency)}"
                for label, base in against if base is not None)
            print(line)
    print("  goals at c=8: durable devsmtp/bare >= 1.2, devsmtp/maildev >= 3, lost 0, "
          "RSS < 100 MB after 10,000 messages")
    print(f"  lost: {', '.join(f'{name} {n}' for name, n in lost.items())}")


if __name__ == "__main__":
    main()
