"""The proxy as deployed: ``corsight proxy`` in its own process, on loopback, measured from
outside. A 1 GiB response and a 256 MiB upload stream through with flat memory; thousands of
requests at hundreds of concurrent connections pass with no error and bounded memory; SIGTERM
lets a request in flight finish. Each loop is bounded in count and time."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy_support import RawServer, free_port
from tests.servers import _wait_listening

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://page.test"
GiB = 1 << 30


@contextlib.contextmanager
def process(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr:
            proc.stderr.close()


@contextlib.contextmanager
def upstream(mode: str, arg: float = 0) -> Iterator[int]:
    port = free_port()
    with process("-m", "tests.proxy_support", mode, str(port), str(arg)):
        _wait_listening(port)
        yield port


@contextlib.contextmanager
def proxy(upstream_port: int, *flags: str) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    with process("-m", "corsight", "proxy", "--port", str(port), "--allow-origin", ORIGIN,
                 "--upstream", f"http://127.0.0.1:{upstream_port}", "--access-log", "off", *flags) as proc:  # fmt: skip
        _wait_listening(port)
        yield port, proc


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def reset_peak(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def raw_get(port: int, path: str, extra: bytes = b"") -> tuple[bytes, int]:
    """GET through a plain socket, discarding the body as it arrives; (head, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: proxy\r\nOrigin: %s\r\nConnection: close\r\n%s\r\n"
                  % (path.encode(), ORIGIN.encode(), extra))  # fmt: skip
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        head = b""
        total = 0
        while True:
            n = s.recv_into(view)
            if not n:
                break
            if not head:
                data = bytes(view[:n])
                if b"\r\n\r\n" in data:
                    head, _, rest = data.partition(b"\r\n\r\n")
                    total += len(rest)
                continue
            total += n
        return head, total


def test_a_1_gib_response_streams_with_flat_memory() -> None:
    with upstream("big", GiB) as up, proxy(up) as (port, proc):
        baseline = rss_kib(proc.pid)
        reset_peak(proc.pid)
        started = time.monotonic()
        head, size = raw_get(port, "/big")
        elapsed = time.monotonic() - started
        peak = rss_kib(proc.pid, "VmHWM")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"access-control-allow-origin: http://page.test" in head.lower()
    assert size == GiB
    growth_mib = (peak - baseline) / 1024
    print(f"1 GiB in {elapsed:.1f} s ({GiB / elapsed / 1e6:.0f} MB/s), proxy RSS {baseline / 1024:.0f} MiB → "
          f"peak {peak / 1024:.0f} MiB")  # fmt: skip
    assert growth_mib < 48, f"proxy memory grew by {growth_mib:.0f} MiB while streaming"
    assert elapsed < 60


def test_a_256_mib_upload_streams_with_flat_memory() -> None:
    size = 256 << 20
    received: dict[str, int] = {}

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        got = 0
        while got < length:
            chunk = await reader.read(1 << 20)
            if not chunk:
                break
            got += len(chunk)
        received["bytes"] = got
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    with RawServer(count) as up, proxy(up.port, "--max-request-bytes", str(size)) as (port, proc):
        baseline = rss_kib(proc.pid)
        reset_peak(proc.pid)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"POST /upload HTTP/1.1\r\nHost: proxy\r\nOrigin: %s\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n" % (ORIGIN.encode(), size))  # fmt: skip
            block = b"u" * (1 << 20)
            for _ in range(size // len(block)):
                s.sendall(block)
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        peak = rss_kib(proc.pid, "VmHWM")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert received["bytes"] == size
    assert (peak - baseline) / 1024 < 48, f"proxy memory grew by {(peak - baseline) / 1024:.0f} MiB"


def test_thousands_of_requests_at_hundreds_of_connections() -> None:
    import aiohttp

    total, concurrency = 4000, 300
    with upstream("fast") as up, proxy(up) as (port, proc):
        url = f"http://127.0.0.1:{port}/items/1"

        async def run() -> list[int]:
            statuses: list[int] = []
            connector = aiohttp.TCPConnector(limit=concurrency)
            async with aiohttp.ClientSession(connector=connector) as session:
                queue = iter(range(total))

                async def worker() -> None:
                    for _ in queue:
                        async with session.get(url, headers={"Origin": ORIGIN}) as r:
                            await r.read()
                            statuses.append(r.status)
                            assert r.headers["Access-Control-Allow-Origin"] == ORIGIN

                await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), 90)
            return statuses

        started = time.monotonic()
        # In a thread of its own: Playwright's sync API may hold this thread's event loop.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            statuses = pool.submit(lambda: asyncio.run(run())).result()
        elapsed = time.monotonic() - started
        peak = rss_kib(proc.pid, "VmHWM")
    print(f"{total} requests at {concurrency} connections in {elapsed:.1f} s ({total / elapsed:.0f}/s), "
          f"proxy peak RSS {peak / 1024:.0f} MiB")  # fmt: skip
    assert statuses == [200] * total
    assert peak / 1024 < 200


def test_sigterm_lets_a_request_in_flight_finish() -> None:
    arrived = threading.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        arrived.set()
        await asyncio.sleep(1.0)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
        await writer.drain()

    with RawServer(slow) as up, proxy(up.port, "--graceful-timeout", "5") as (port, proc):
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            s.sendall(b"GET /slow HTTP/1.1\r\nHost: proxy\r\nOrigin: %s\r\nConnection: close\r\n\r\n" % ORIGIN.encode())
            assert arrived.wait(20)  # the request is in flight, at the upstream
            os.kill(proc.pid, signal.SIGTERM)
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        # uvicorn re-raises the signal once it has finished, so the exit reads as "terminated".
        assert proc.wait(10) in (0, -signal.SIGTERM)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"slow"), answer


@pytest.mark.parametrize("args", [["--allow-origin", "*", "--port", "-1"]])
def test_cli_process_bad_input_exits_2_with_one_line(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "corsight", "proxy", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "error:" in result.stderr
