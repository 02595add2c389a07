"""The proxy as one ASGI application (serve it with uvicorn, or mount it in any ASGI server).

Order of work for a request: CORS decision by the engine (preflights answered here, never
forwarded), operational endpoints, origin refusal, required header, rate limits, target
parsing and checks, then the upstream exchange with redirects. Every response the proxy makes
itself, errors included, carries the CORS headers of the decision, so the page can read why.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urljoin

import aiohttp

from corsight.asgi import cors_request, with_cors_headers
from corsight.engine import Decision, DecisionKind, Engine
from corsight.proxy import headers as hdrs
from corsight.proxy.accesslog import AccessLog
from corsight.proxy.config import FINAL_URL_HEADER, ProxyConfig
from corsight.proxy.forward import BODY_HEADERS, BodyState, Forwarder, Resolver, UpstreamError
from corsight.proxy.page import usage_page
from corsight.proxy.ratelimit import RateLimiter
from corsight.proxy.targets import TargetError, UpstreamTarget, origin_form, parse_target, upstream_target

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Responses up to this length are sent without watching for the browser going away.
SMALL = 1 << 16
_FINAL_URL = FINAL_URL_HEADER.lower().encode()
_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_NO_STORE = (b"cache-control", b"no-store")


class ClientGone(Exception):
    """The browser went away while its request body was streaming."""


class BodyTooLarge(Exception):
    pass


class ResponseAborted(Exception):
    """The upstream body failed or grew past the limit after the response had started; the
    only honest signal left is to drop the connection, which the server does on this error."""


def create_app(config: ProxyConfig, *, resolver: Resolver | None = None) -> ProxyApp:
    """The proxy for ``config`` as an ASGI app. ``resolver`` replaces DNS (for tests)."""
    return ProxyApp(config, resolver=resolver)


def _dated(send: Send) -> Send:
    """``send`` that gives every response one ``Date``: the upstream's when it sent one (a proxy
    forwards it), the proxy's own clock otherwise (its preflights, errors, health). The server's
    own Date header is off (``corsight proxy`` runs uvicorn with ``date_header=False``), which
    used to make two."""

    async def send_dated(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            if not any(name.lower() == b"date" for name, _ in headers):
                now = email.utils.formatdate(usegmt=True).encode()
                message = {**message, "headers": [*headers, (b"date", now)]}
        await send(message)

    return send_dated


class ProxyApp:
    """ASGI application of ``corsight proxy``; see :func:`create_app`."""

    def __init__(self, config: ProxyConfig, *, resolver: Resolver | None = None) -> None:
        self.config = config
        self.engine = Engine(config.policy)
        self.upstream = parse_target(config.upstream) if config.upstream else None
        self.forwarder = Forwarder(
            config.rules,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            ca_file=config.ca_file,
            resolver=resolver,
        )
        self.limiter = RateLimiter(config.rate_limit_origin, config.rate_limit_client, config.redis_url)
        self.log = AccessLog(config.access_log)
        self.require = tuple(h.lower().encode("latin-1") for h in config.require_headers)
        self.usage_path = "/" if self.upstream is None else config.health_path.rsplit("/", 1)[0] + "/"
        self._shared_origin = self.upstream is None
        self.started = time.time()

    # -- ASGI entry ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, _dated(send))
        elif kind == "lifespan":
            await self.lifespan(receive, send)
        elif kind == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1003, "reason": "not proxied"})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        await self.forwarder.close()
        self.log.close()

    # -- one request --------------------------------------------------------------------------

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        origin, request_method, request_headers, private_network = cors_request(scope["headers"])
        present = {name for name, _ in scope["headers"]}
        method = scope["method"]
        decision = self.engine.decide(
            method=method,
            origin=origin,
            request_method=request_method,
            request_headers=request_headers,
            request_private_network=private_network,
        )
        entry: dict[str, Any] = {"method": method, "origin": origin, "cors": decision.kind.value}
        peer = scope.get("client")
        client_host = hdrs.client_address(scope["headers"], peer[0] if peer else None, self.config.trusted)
        entry["client"] = client_host
        record = AccessRecord()
        try:
            await self._handle(scope, receive, send, method, origin, client_host, present, decision, record)
        finally:
            if self.log.enabled:
                entry.update(record.log)
                entry["status"] = record.status
                entry["bytes"] = record.bytes
                entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
                self.log.write(**entry)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        method: str,
        origin: str | None,
        client: str | None,
        present: set[bytes],
        decision: Decision,
        record: AccessRecord,
    ) -> None:
        if decision.status is not None:  # a preflight: answered here, never forwarded
            record.status = decision.status
            await send({"type": "http.response.start", "status": decision.status,
                        "headers": decision.raw_headers})  # fmt: skip
            await send({"type": "http.response.body", "body": decision.body})
            return
        path: str = scope["path"]
        if path == self.config.health_path:
            await self._health(send, decision, record)
            return
        if path == self.usage_path and method in ("GET", "HEAD") and not scope.get("query_string"):
            body = usage_page(self.config, _base_url(scope)).encode()
            await reply(send, decision, 200, body, record, b"text/html; charset=utf-8")
            return
        try:
            hdrs.check_request(scope["headers"])
        except hdrs.HeaderError as exc:
            record.log["error"] = str(exc)
            await reply(send, decision, exc.status, f"{exc}\n".encode(), record)
            return
        if decision.kind is DecisionKind.ACTUAL_DENIED:
            # No CORS headers: the browser reports the refusal as a CORS error.
            record.log["error"] = "origin"
            await reply(send, decision, 403, f"origin {origin} may not use this proxy\n".encode(), record)
            return
        if self.require and not any(name in present for name in self.require):
            names = ", ".join(self.config.require_headers)
            record.log["error"] = "require-header"
            await reply(send, decision, 400, f"missing required request header; send one of: {names}\n"
                        .encode(), record)  # fmt: skip
            return
        if self._shared_origin and b"service-worker" in present:
            # A browser fetching a service worker script: never installable on the shared origin.
            record.log["error"] = "service-worker"
            await reply(send, decision, 403, b"service worker scripts are not served in open mode\n", record)
            return
        if self.limiter.active:
            try:
                refusal = await self.limiter.check(origin, client)
            except Exception as exc:  # storage down: refuse rather than run unlimited
                record.log["error"] = f"rate-limit storage: {type(exc).__name__}"
                await reply(send, decision, 503, b"rate limiter unavailable; try again later\n", record)
                return
            if refusal is not None:
                record.log["error"] = f"rate-limit {refusal.scope}"
                message = f"too many requests from this {refusal.scope}: the limit is {refusal.limit}\n"
                await reply(send, decision, 429, message.encode(), record,
                            extra=[(b"retry-after", str(refusal.retry_after).encode())])  # fmt: skip
                return
        try:
            target = self._target(scope)
        except TargetError as exc:
            record.log["error"] = str(exc)
            await reply(send, decision, exc.status, f"{exc}\n".encode(), record)
            return
        record.log["target"] = target.origin + target.path.split("?", 1)[0]
        await self._proxy(scope, receive, send, method, target, decision, record)

    def _target(self, scope: Scope) -> UpstreamTarget:
        target = origin_form(_raw_path(scope), scope.get("query_string") or b"")
        if self.upstream is not None:
            return upstream_target(self.upstream, target)
        url = target[1:]  # open mode: the target URL is the path after the proxy's slash
        if not url:
            raise TargetError("no target URL; put it after the proxy's slash")
        return parse_target(url)

    async def _health(self, send: Send, decision: Decision, record: AccessRecord) -> None:
        status = {"status": "ok", "mode": self.config.mode, "uptime": round(time.time() - self.started, 1)}
        code = 200
        if self.limiter.active and self.config.redis_url is not None:
            ok = await self.limiter.ping()
            status["rate_limit_storage"] = "ok" if ok else "unreachable"
            if not ok:
                status["status"], code = "degraded", 503
        body = json.dumps(status).encode() + b"\n"
        await reply(send, decision, code, body, record, b"application/json")

    # -- the upstream exchange ----------------------------------------------------------------

    async def _proxy(
        self, scope: Scope, receive: Receive, send: Send, method: str, target: UpstreamTarget,
        decision: Decision, record: AccessRecord,
    ) -> None:  # fmt: skip
        config = self.config
        peer = scope["client"][0] if scope.get("client") else None
        try:
            framing = hdrs.request_framing(scope["headers"])
            headers = hdrs.request_headers(
                scope["headers"],
                host=target.netloc,
                cookies=config.cookies,
                forwarded=config.forwarded,
                client=peer,
                proto=scope.get("scheme", "http"),
                proxy_host=_header(scope, b"host"),
                trusted_peer=hdrs.is_trusted(peer, config.trusted),
            )
        except hdrs.HeaderError as exc:
            record.log["error"] = str(exc)
            await reply(send, decision, exc.status, f"{exc}\n".encode(), record)
            return
        if framing.length is not None and framing.length > config.max_request_bytes:
            await reply(send, decision, 413, f"request body larger than {config.max_request_bytes} bytes\n"
                        .encode(), record)  # fmt: skip
            return
        state = BodyState(config.max_request_bytes)
        body = _request_body(receive, state) if framing.has_body else None
        if framing.length is not None:
            # The proxy states the framing itself: a length when the client sent one, else
            # none, and the client library sends the streamed body chunked.
            headers.append(("Content-Length", str(framing.length)))
        deadline = None if config.response_timeout is None else time.monotonic() + config.response_timeout
        hops = 0
        while True:
            try:
                response = await self.forwarder.send(method, target, headers, body, deadline=deadline)
            except (TargetError, UpstreamError) as exc:
                await self._failed(send, decision, record, state, exc, redirected=hops > 0)
                return
            except Exception as exc:
                if state.too_large or state.client_gone:
                    await self._failed(send, decision, record, state, exc, redirected=hops > 0)
                    return
                raise
            follow = await self._redirect(response, target, method, body is not None, hops)
            if follow is None:
                break
            response.release()
            hops += 1
            new_target, method, drop_body = follow
            record.log.setdefault("redirects", []).append(response.status)
            if drop_body:
                body = None
                headers = [(n, v) for n, v in headers if n.lower() not in BODY_HEADERS]
            if new_target.origin != target.origin:
                # As browsers do on a cross-origin redirect: credentials stay with their origin.
                headers = [(n, v) for n, v in headers if n.lower() not in ("authorization", "cookie")]
            headers = [(n, new_target.netloc if n == "Host" else v) for n, v in headers]
            target = new_target
        body_done = body is None or state.done
        await self._respond(scope, receive if body_done else None, send, response, target, decision,
                            record, redirected=hops > 0)  # fmt: skip

    async def _redirect(
        self, response: aiohttp.ClientResponse, target: UpstreamTarget, method: str, has_body: bool, hops: int
    ) -> tuple[UpstreamTarget, str, bool] | None:
        """Where to follow a redirect (target, method, whether the body goes), or ``None``."""
        if response.status not in REDIRECTS or self.config.redirects != "follow":
            return None
        location = response.headers.get("Location")
        if not location or hops >= self.config.max_redirects:
            return None
        try:
            new = parse_target(urljoin(target.url, location))
        except TargetError:
            return None  # passed back (rewritten if it can be); the browser then decides
        if self.upstream is not None and new.origin != self.upstream.origin:
            return None  # upstream mode never becomes an open proxy through an open redirect
        status = response.status
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            return new, "GET", True  # as browsers do
        if has_body:
            return None  # the body was streamed away; the browser re-sends it via Location
        return new, method, False

    def _rewrite_location(self, scope: Scope, location: str, target: UpstreamTarget) -> str:
        absolute = urljoin(target.url, location)
        base = _base_url(scope)
        if self.upstream is None:
            return f"{base}/{absolute}"
        try:
            new = parse_target(absolute)
        except TargetError:
            return location
        if new.origin != self.upstream.origin:
            return location
        prefix = self.upstream.path.rstrip("/")
        path = new.path[len(prefix) :] if prefix and new.path.startswith(prefix) else new.path
        return base + (path if path.startswith("/") else "/" + path)

    def _final_url(self, scope: Scope, target: UpstreamTarget, redirected: bool) -> str:
        if self.upstream is None:
            return target.url
        if not redirected:  # the URL the browser asked for
            query: bytes = scope.get("query_string") or b""
            path = _raw_path(scope).decode("latin-1")
            return _base_url(scope) + path + ("?" + query.decode("latin-1") if query else "")
        return self._rewrite_location(scope, target.url, target)

    async def _respond(
        self, scope: Scope, receive: Receive | None, send: Send, response: aiohttp.ClientResponse,
        target: UpstreamTarget, decision: Decision, record: AccessRecord, *, redirected: bool,
    ) -> None:  # fmt: skip
        config = self.config
        limit = config.max_response_bytes
        try:
            if limit is not None and response.method != "HEAD" and (response.content_length or 0) > limit:
                response.release()
                await reply(send, decision, 502, f"upstream response larger than {limit} bytes\n".encode(),
                            record)  # fmt: skip
                return
            try:
                raw = hdrs.response_headers(
                    response.raw_headers, cookies=config.cookies, shared_origin=self._shared_origin,
                    source=target.origin,
                )  # fmt: skip
            except hdrs.HeaderError as exc:
                record.log["error"] = str(exc)
                await reply(send, decision, exc.status, f"{exc}\n".encode(), record)
                return
            if response.status in REDIRECTS:
                raw = [
                    (n, self._rewrite_location(scope, v.decode("latin-1"), target).encode("latin-1"))
                    if n == b"location" else (n, v)
                    for n, v in raw
                ]  # fmt: skip
            raw.append((_FINAL_URL, self._final_url(scope, target, redirected).encode("latin-1")))
            length = response.content_length
            if length is not None and length <= SMALL:
                # Small bodies are read whole: one message to send, and a failure can still
                # be answered with a status.
                try:
                    data = await response.read()
                except (asyncio.TimeoutError, TimeoutError):
                    stalled = f"{target.origin} stalled in the response body or passed the deadline\n"
                    await reply(send, decision, 504, stalled.encode(), record)
                    return
                except aiohttp.ClientError as exc:
                    message = f"invalid response body from {target.origin}: {type(exc).__name__}\n"
                    await reply(send, decision, 502, message.encode(), record)
                    return
                record.status = response.status
                record.bytes = len(data)
                await send({"type": "http.response.start", "status": response.status,
                            "headers": with_cors_headers(raw, decision)})  # fmt: skip
                await send({"type": "http.response.body", "body": data})
                return
            record.status = response.status
            await send({"type": "http.response.start", "status": response.status,
                        "headers": with_cors_headers(raw, decision)})  # fmt: skip
            sent = 0
            watcher = None
            gone = False
            if receive is not None:
                # Servers drop send() calls after the browser has gone; without this watch a
                # long download would keep pulling from upstream into nowhere.
                streaming = asyncio.current_task()

                async def watch() -> None:
                    nonlocal gone
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    gone = True
                    if streaming is not None:
                        streaming.cancel()

                watcher = asyncio.ensure_future(watch())
            try:
                async for chunk in response.content.iter_any():
                    sent += len(chunk)
                    if limit is not None and sent > limit:
                        raise ResponseAborted(f"upstream response passed {limit} bytes")
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as exc:
                record.log["error"] = f"upstream body: {type(exc).__name__}"
                raise ResponseAborted(str(exc) or type(exc).__name__) from None
            except ResponseAborted as exc:
                record.log["error"] = str(exc)
                raise
            except asyncio.CancelledError:
                if not gone:
                    raise
                task = asyncio.current_task()
                if task is not None and hasattr(task, "uncancel"):
                    task.uncancel()  # the cancellation was ours, and it is handled
                record.log["error"] = "client disconnected"
                return
            finally:
                record.bytes = sent
                if watcher is not None:
                    watcher.cancel()
            await send({"type": "http.response.body", "body": b""})
        finally:
            response.release()

    async def _failed(
        self, send: Send, decision: Decision, record: AccessRecord, state: BodyState, exc: Exception,
        redirected: bool,
    ) -> None:  # fmt: skip
        if state.client_gone:
            record.log["error"] = "client disconnected"
            record.status = 499
            return
        if state.too_large:
            status, message = 413, f"request body larger than {self.config.max_request_bytes} bytes"
        elif isinstance(exc, TargetError):
            status, message = exc.status, str(exc)
            if redirected:
                message = f"redirect refused: {message}"
        elif isinstance(exc, UpstreamError):
            status, message = exc.status, str(exc)
        else:  # pragma: no cover - defensive
            status, message = 502, f"upstream error: {type(exc).__name__}"
        record.log["error"] = message
        await reply(send, decision, status, f"{message}\n".encode(), record)


class AccessRecord:
    """One line of the access log: what it records about a request, filled in as it goes."""

    __slots__ = ("bytes", "log", "status")

    def __init__(self) -> None:
        self.status = 0
        self.bytes = 0
        self.log: dict[str, Any] = {}


async def reply(
    send: Send,
    decision: Decision,
    status: int,
    body: bytes,
    record: AccessRecord,
    content_type: bytes = _TEXT[1],
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """A response made by the proxy itself, with the decision's CORS headers."""
    if status >= 400 and not body.startswith(b"{"):
        body = f"corsight proxy: {status} {HTTPStatus(status).phrase}: ".encode() + body
    raw = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), _NO_STORE,
           *(extra or [])]  # fmt: skip
    record.status = status
    record.bytes = len(body)
    await send({"type": "http.response.start", "status": status, "headers": with_cors_headers(raw, decision)})
    await send({"type": "http.response.body", "body": body})


async def _request_body(receive: Receive, state: BodyState) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            state.client_gone = True
            raise ClientGone()
        chunk = message.get("body", b"")
        state.received += len(chunk)
        if state.received > state.limit:
            state.too_large = True
            raise BodyTooLarge()
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            state.done = True
            return


def _raw_path(scope: Scope) -> bytes:
    raw: bytes | None = scope.get("raw_path")
    if raw is None:  # optional in ASGI: the decoded path, encoded again as browsers do
        raw = quote(scope["path"], safe="/:@!$&'()*+,;=-._~").encode("ascii")
    return raw


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _base_url(scope: Scope) -> str:
    host = _header(scope, b"host")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"
