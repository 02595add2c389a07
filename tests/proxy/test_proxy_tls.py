"""HTTPS upstreams: the proxy connects to the checked address yet speaks TLS to the *name*:
SNI and the certificate check use the host of the URL (a test CA made with openssl, a
loopback server, and a stand-in resolver, so nothing leaves the machine)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.proxy_support import RawServer, fake_resolver, read_request, serve_proxy

PAGE = "http://page.test"
OPENSSL = shutil.which("openssl")

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is missing")


def make_certs(where: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for api.test signed by it."""

    def run(*args: str) -> None:
        subprocess.run([str(OPENSSL), *args], cwd=where, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=corsight test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=api.test")
    (where / "ext.cnf").write_text("subjectAltName=DNS:api.test\nbasicConstraints=CA:FALSE\n"
                                   "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return where / "ca.pem", where / "server.pem", where / "server.key"


def test_https_upstream_gets_the_name_in_sni_host_and_certificate_check(tmp_path: Path) -> None:
    ca, cert, key = make_certs(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)  # type: ignore[assignment,misc]
    hosts: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, headers, _ = await read_request(reader)
        hosts.append(headers[b"host"])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure")
        await writer.drain()

    with RawServer(answer, ssl=context) as up:
        resolver = fake_resolver({"api.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        with serve_proxy(allow_origins=[PAGE], resolver=resolver, ca_file=str(ca),
                         allow_targets=[f"127.0.0.1:{up.port}"]) as proxy, \
                httpx.Client(trust_env=False, timeout=10) as client:  # fmt: skip
            ok = client.get(f"{proxy}/https://api.test:{up.port}/v1", headers={"Origin": PAGE})
            wrong = client.get(f"{proxy}/https://other.test:{up.port}/v1", headers={"Origin": PAGE})
    assert ok.status_code == 200 and ok.text == "secure", ok.text
    assert ok.headers["x-final-url"] == f"https://api.test:{up.port}/v1"
    assert server_names[0] == "api.test" and hosts[0] == f"api.test:{up.port}".encode()
    # Same address, another name: the certificate does not match it, so the proxy refuses.
    assert wrong.status_code == 502 and "TLS certificate of other.test rejected" in wrong.text, wrong.text
    assert wrong.headers["access-control-allow-origin"] == PAGE
