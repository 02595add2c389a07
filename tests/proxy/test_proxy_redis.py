"""Rate limits shared through a real Redis (Debian's redis-server on loopback): two proxy
instances count against the same limits; with Redis gone the proxy refuses (503) rather than
run unlimited, and its health endpoint says so."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import httpx
import pytest

from tests.proxy_support import free_port, serve_proxy
from tests.servers import _wait_listening

PAGE = "http://page.test"
REDIS = shutil.which("redis-server")

pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is missing (apt-get install redis-server)")


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [str(REDIS), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(port)
            yield f"redis://127.0.0.1:{port}/0", proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)


def test_two_proxies_share_limits_through_redis() -> None:
    with redis_server() as (url, redis), httpx.Client(trust_env=False, timeout=10) as client:
        settings = {"allow_origins": [PAGE], "rate_limit_origin": "3/minute", "redis_url": url}
        with serve_proxy(**settings) as a, serve_proxy(**settings) as b:
            # A refused target needs no upstream: 403 means "passed the rate limit, then refused".
            refused = "/http://127.0.0.1:1/"
            codes = [client.get(p + refused, headers={"Origin": PAGE}).status_code for p in (a, b, a)]
            assert codes == [403, 403, 403]
            limited = client.get(b + refused, headers={"Origin": PAGE})
            assert limited.status_code == 429 and "3 per 1 minute" in limited.text
            assert limited.headers["access-control-allow-origin"] == PAGE
            assert client.get(f"{a}/__corsight/health").json()["rate_limit_storage"] == "ok"
            redis.terminate()
            redis.wait(10)
            down = client.get(a + refused, headers={"Origin": PAGE})
            assert down.status_code == 503 and "rate limiter unavailable" in down.text
            assert down.headers["access-control-allow-origin"] == PAGE
            health = client.get(f"{a}/__corsight/health")
            assert health.status_code == 503 and health.json()["rate_limit_storage"] == "unreachable"
