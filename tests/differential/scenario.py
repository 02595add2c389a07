"""What a differential scenario is: the request script runs and the replies the server scripts.

A scenario is one ``fetch()`` from the page origin. Its URL is the first of its *hops*: each hop
is a path ``/s/<id>/<n>`` on one of the server's origins, with a scripted reply to a preflight
(an ``OPTIONS`` carrying ``Access-Control-Request-Method``) and to anything else. A hop that
redirects names the next one in its ``Location`` with a placeholder (see :func:`expand`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Headers = tuple[tuple[str, str], ...]

#: The server's origins: the page's, the API's, another port, and another loopback host.
ORIGIN_HOSTS = {"page": "127.0.0.1", "api": "127.0.0.1", "other": "127.0.0.1", "far": "127.0.0.2"}


@dataclass(frozen=True)
class Reply:
    """A scripted response: status, header lines in order (duplicates kept), body."""

    status: int = 200
    headers: Headers = ()
    body: str = "ok"


#: What a server that knows nothing of CORS answers to an OPTIONS request.
NO_PREFLIGHT_SUPPORT = Reply(405, (("Allow", "GET, HEAD, POST"),), "")


@dataclass(frozen=True)
class Hop:
    """One URL of the scenario, on the origin labelled ``origin``."""

    origin: str
    actual: Reply
    preflight: Reply = NO_PREFLIGHT_SUPPORT


@dataclass(frozen=True)
class Scenario:
    """One ``fetch(url, {method, headers, credentials, body})`` and the server's script."""

    id: str
    category: str
    hops: tuple[Hop, ...]
    method: str = "GET"
    headers: Headers = ()
    credentials: str = "same-origin"
    body: str | None = None
    note: str = ""
    tags: tuple[str, ...] = field(default=())

    def url(self, origins: dict[str, str], hop: int = 0) -> str:
        return f"{origins[self.hops[hop].origin]}/s/{self.id}/{hop}"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "category": self.category,
            "note": self.note,
            "method": self.method,
            "headers": [list(h) for h in self.headers],
            "credentials": self.credentials,
            "body": self.body,
            "hops": [
                {
                    "origin": hop.origin,
                    "preflight": _reply_dict(hop.preflight),
                    "actual": _reply_dict(hop.actual),
                }
                for hop in self.hops
            ],
        }


def _reply_dict(reply: Reply) -> dict[str, object]:
    return {"status": reply.status, "headers": [list(h) for h in reply.headers]}


def expand(value: str, scenario: Scenario, hop: int, origins: dict[str, str]) -> str:
    """Fill a scripted header value's placeholders for this run's ports.

    ``{page}`` ``{api}`` ``{other}`` ``{far}``: those origins (``{page_host}``: its host and
    port, ``{page_port}``: its port; likewise for the others); ``{self}``: this hop's URL;
    ``{next}``: the next hop's URL; ``{next@userinfo}``: the next hop's URL with that userinfo
    (e.g. ``{next@user:pass}``). Plain replacement, so literal braces in odd values survive.
    """
    for label, origin in origins.items():
        host = origin.split("://", 1)[1]
        value = value.replace("{" + label + "}", origin)
        value = value.replace("{" + label + "_host}", host)
        value = value.replace("{" + label + "_port}", host.rsplit(":", 1)[1])
    value = value.replace("{self}", scenario.url(origins, hop))
    if "{next" in value and hop + 1 < len(scenario.hops):
        nxt = scenario.url(origins, hop + 1)
        start = value.find("{next@")
        if start != -1:
            end = value.index("}", start)
            userinfo = value[start + len("{next@") : end]
            value = value[:start] + nxt.replace("://", f"://{userinfo}@", 1) + value[end + 1 :]
        value = value.replace("{next}", nxt)
    return value
