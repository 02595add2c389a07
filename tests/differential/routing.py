"""Routes the scripted server's requests to the scenarios' replies, and serves the page.

``GET /`` on the page origin is the blank page every scenario's ``fetch()`` runs in; every
``/s/<id>/<n>`` path answers with hop ``n`` of scenario ``id``: its preflight reply to an
``OPTIONS`` that carries ``Access-Control-Request-Method``, its actual reply to anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .scenario import ORIGIN_HOSTS, Scenario, expand
from .server import Answer, ScriptedServer

PAGE = b'<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>corsight</title>'


class Router:
    """The server's handler: scenario replies by path, with placeholders expanded."""

    def __init__(self, scenarios: Iterable[Scenario]) -> None:
        self.scenarios = {s.id: s for s in scenarios}
        self.origins: dict[str, str] = {}

    def __call__(self, label: str, method: str, path: str, headers: list[tuple[str, str]]) -> Answer:
        if label == "page" and path == "/":
            return 200, [("Content-Type", "text/html; charset=utf-8")], PAGE
        parts = path.split("?", 1)[0].split("/")
        if len(parts) != 4 or parts[1] != "s" or parts[2] not in self.scenarios:
            return 404, [("Content-Type", "text/plain")], b"no such scenario"
        scenario = self.scenarios[parts[2]]
        index = int(parts[3])
        hop = scenario.hops[index]
        if hop.origin != label:
            return 421, [("Content-Type", "text/plain")], b"misdirected: wrong origin for hop"
        is_preflight = method == "OPTIONS" and any(
            n.lower() == "access-control-request-method" for n, _ in headers
        )
        reply = hop.preflight if is_preflight else hop.actual
        lines = [(n, expand(v, scenario, index, self.origins)) for n, v in reply.headers]
        return reply.status, lines, reply.body.encode("latin-1")


@contextmanager
def scenario_server(scenarios: Iterable[Scenario]) -> Iterator[ScriptedServer]:
    """A running :class:`ScriptedServer` answering for ``scenarios`` on every origin label."""
    router = Router(scenarios)
    with ScriptedServer(router, ORIGIN_HOSTS) as server:
        router.origins = server.origins
        yield server
