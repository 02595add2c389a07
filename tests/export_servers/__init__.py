"""Real servers configured only by a file from ``corsight export``: nginx, Apache httpd and Caddy
(Debian packages) in front of a small upstream, and an Express app with the ``cors`` package.

Each runs as a child process on a free 127.0.0.1 port with its pid, logs and temp files in a
temporary directory. Where a server is missing, the test fails when CORSIGHT_REQUIRE_BROWSER=1
(as in CI, where `./run test` installs them) and skips otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import _wait_listening, free_port, serve_wsgi

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"

BINARIES = {
    "nginx": "/usr/sbin/nginx",
    "apache": "/usr/sbin/apache2",
    "caddy": "/usr/bin/caddy",
    "express": "node",
    "django": sys.executable,
}
APACHE_MODULES = Path("/usr/lib/apache2/modules")


def require(target: str) -> None:
    """Fail (CI) or skip (elsewhere) when ``target``'s server cannot run here."""
    problem = None
    binary = BINARIES[target]
    if shutil.which(binary) is None:
        problem = f"{binary} is missing; `./run test` installs nginx, apache2 and caddy with apt-get"
    elif target == "express" and not (NODE_MODULES / "cors").is_dir():
        problem = f"{NODE_MODULES}/cors is missing; `./run test` runs npm ci in tests/export_servers"
    if problem is None:
        return
    if os.environ.get("CORSIGHT_REQUIRE_BROWSER") == "1":
        pytest.fail(problem)
    pytest.skip(problem)


def upstream_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The application behind the web servers: answers any method, knows nothing of CORS."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/boom"):
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"boom"]
    method = environ["REQUEST_METHOD"]
    token = environ.get("HTTP_X_TOKEN")
    body = json.dumps({"method": method, "token": token}).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("X-Total", "42"), ("X-Secret", "s")],
    )
    return [body]


@contextlib.contextmanager
def _process(argv: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    try:
        try:
            _wait_listening(port, timeout=15)
        except RuntimeError:
            proc.poll()
            raise RuntimeError(
                f"{argv[0]} did not start (exit {proc.returncode}):\n{log.read_text()}"
            ) from None
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@contextlib.contextmanager
def serve_nginx(config: str, upstream: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    (tmp / "corsight-cors.conf").write_text(config)
    temp = {name: tmp / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    (tmp / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    server {{
        listen 127.0.0.1:{port};
        include {tmp}/corsight-cors.conf;
        location / {{
            proxy_pass {upstream};
        }}
    }}
}}
"""
    )
    argv = [BINARIES["nginx"], "-e", str(tmp / "error.log"), "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    with _process(argv, port, tmp / "stdout.log") as url:
        yield url


@contextlib.contextmanager
def serve_apache(config: str, upstream: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    (tmp / "corsight-cors.conf").write_text(config)
    modules = {
        "mpm_event_module": "mod_mpm_event.so",
        "authz_core_module": "mod_authz_core.so",
        "headers_module": "mod_headers.so",
        "rewrite_module": "mod_rewrite.so",
        "proxy_module": "mod_proxy.so",
        "proxy_http_module": "mod_proxy_http.so",
    }
    loads = "\n".join(f"LoadModule {name} {APACHE_MODULES / so}" for name, so in modules.items())
    (tmp / "httpd.conf").write_text(
        f"""
{loads}
ServerRoot {tmp}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {tmp}/httpd.pid
DefaultRuntimeDir {tmp}
ErrorLog {tmp}/error.log
LogLevel warn
User nobody
Group nogroup
<VirtualHost 127.0.0.1:{port}>
    Include {tmp}/corsight-cors.conf
    ProxyPass / {upstream}/
</VirtualHost>
"""
    )
    argv = [BINARIES["apache"], "-f", str(tmp / "httpd.conf"), "-DFOREGROUND"]
    with _process(argv, port, tmp / "stdout.log") as url:
        yield url


@contextlib.contextmanager
def serve_caddy(config: str, upstream: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    (tmp / "corsight-cors.caddy").write_text(config)
    (tmp / "Caddyfile").write_text(
        f"""{{
    admin off
    auto_https off
    storage file_system {tmp}/data
}}

http://127.0.0.1:{port} {{
    bind 127.0.0.1
    import {tmp}/corsight-cors.caddy
    reverse_proxy {upstream.removeprefix("http://")}
}}
"""
    )
    argv = [BINARIES["caddy"], "run", "--config", str(tmp / "Caddyfile"), "--adapter", "caddyfile"]
    env = {"HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config")}
    with _process(argv, port, tmp / "stdout.log", env) as url:
        yield url


EXPRESS_APP = """
const express = require("express");
const app = express();
app.use(require(process.argv[2]));
app.all("/api", (req, res) => {
  res.set("X-Total", "42");
  res.set("X-Secret", "s");
  res.json({method: req.method, token: req.headers["x-token"] || null});
});
app.get("/boom", () => { throw new Error("boom"); });
app.listen(Number(process.argv[3]), "127.0.0.1");
"""


@contextlib.contextmanager
def serve_express(config: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    (tmp / "corsight-cors.js").write_text(config)
    (tmp / "app.js").write_text(EXPRESS_APP)
    argv = ["node", str(tmp / "app.js"), str(tmp / "corsight-cors.js"), str(port)]
    env = {"NODE_PATH": str(NODE_MODULES), "NODE_ENV": "production"}
    with _process(argv, port, tmp / "stdout.log", env) as url:
        yield url


@contextlib.contextmanager
def serve_django(config: str, tmp: Path) -> Iterator[str]:
    port = free_port()
    (tmp / "corsight_settings.py").write_text(config)
    argv = [
        sys.executable,
        "-m",
        "tests.export_servers.django_app",
        str(tmp / "corsight_settings.py"),
        str(port),
    ]
    env = {"PYTHONPATH": str(HERE.parent.parent)}
    with _process(argv, port, tmp / "stdout.log", env) as url:
        yield url


@contextlib.contextmanager
def serve_exported(target: str, content: str) -> Iterator[str]:
    """Serve the API (``/api``, and ``/boom`` answering 500) configured only by ``content``."""
    with tempfile.TemporaryDirectory(prefix=f"corsight-{target}-") as name:
        tmp = Path(name)
        os.chmod(tmp, 0o755)
        if target in ("express", "django"):
            with (serve_express if target == "express" else serve_django)(content, tmp) as url:
                yield url
            return
        with serve_wsgi(upstream_app) as upstream:
            serve = {"nginx": serve_nginx, "apache": serve_apache, "caddy": serve_caddy}[target]
            with serve(content, upstream, tmp) as url:
                yield url


def wait_a_moment() -> None:
    time.sleep(0.05)
