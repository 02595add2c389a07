"""Seeded random scenarios: a request, the replies a correct server would send, then zero to two
"almost correct" mutations of each reply — the combinations nobody thinks to write by hand.

Deterministic: the same seed gives the same scenarios, so a disagreement can be replayed by id.
"""

from __future__ import annotations

import random

from .catalog import ACAC, acah, acam, acao, aceh
from .scenario import Headers, Hop, Reply, Scenario

SEED = 20260301
METHODS = ("GET", "GET", "HEAD", "POST", "POST", "PUT", "put", "DELETE", "PATCH", "patch", "FOO")
HEADER_POOL: tuple[tuple[str, str], ...] = (
    ("X-Custom", "1"),
    ("X-Requested-With", "XMLHttpRequest"),
    ("Authorization", "Bearer token"),
    ("Content-Type", "application/json"),
    ("Content-Type", "text/plain;charset=utf-8"),
    ("Content-Type", "application/x-www-form-urlencoded"),
    ("Content-Type", "text/html"),
    ("Accept", "application/json"),
    ("Accept", "x" * 130),
    ("Accept-Language", "fr"),
    ("Content-Language", "de;q=1"),
    ("Range", "bytes=0-99"),
    ("Range", "bytes=-5"),
    ("DPR", "2"),
    ("Cookie", "a=b"),
    ("If-None-Match", '"abc"'),
)
EXTRA = (("X-A", "1"), ("X-B", "2"), ("Cache-Control", "no-cache"), ("Set-Cookie", "s=1"))
ACEH = ((), ("x-a",), ("*",), ("x-a, x-b",), ("x-a, no no",), ("X-B", "x-a"))


def _unsafe_names(headers: Headers) -> list[str]:
    """Roughly the names a preflight would list — a 'correct' server lists these."""
    safe = {"accept-language", "dpr", "cookie", "range"}
    names = []
    for name, value in headers:
        low = name.lower()
        ok_ct = low == "content-type" and value.split(";")[0] in (
            "text/plain",
            "application/x-www-form-urlencoded",
        )
        ok_accept = low == "accept" and len(value) <= 128
        if low in safe or ok_ct or ok_accept or (low == "range" and value != "bytes=-5"):
            continue
        names.append(low)
    return sorted(set(names))


def _mutate(rng: random.Random, lines: list[tuple[str, str]], kinds: list[str]) -> list[str]:
    """Apply 0 to 2 mutations from ``kinds`` to ``lines`` in place; returns their names."""
    applied = []
    for kind in rng.sample(kinds, rng.choice((0, 0, 1, 1, 2))):
        applied.append(kind)
        name = {
            "acao": "access-control-allow-origin",
            "acac": "access-control-allow-credentials",
            "acam": "access-control-allow-methods",
            "acah": "access-control-allow-headers",
        }
        if kind.startswith("drop-"):
            target = name[kind[5:]]
            lines[:] = [line for line in lines if line[0].lower() != target]
        elif kind == "acao-star":
            lines[:] = [acao("*") if n.lower() == name["acao"] else (n, v) for n, v in lines]
        elif kind == "acao-slash":
            lines[:] = [acao("{page}/") if n.lower() == name["acao"] else (n, v) for n, v in lines]
        elif kind == "acao-other":
            lines[:] = [acao("{other}") if n.lower() == name["acao"] else (n, v) for n, v in lines]
        elif kind == "acao-twice":
            lines.append(acao())
        elif kind == "acac-upper":
            lines[:] = [(n, "TRUE") if n.lower() == name["acac"] else (n, v) for n, v in lines]
        elif kind in ("acam-lower", "acam-star", "acam-invalid"):
            value = {"acam-lower": None, "acam-star": "*", "acam-invalid": "PUT DELETE"}[kind]
            lines[:] = [
                (n, value if value is not None else v.lower()) if n.lower() == name["acam"] else (n, v)
                for n, v in lines
            ]
        elif kind in ("acah-star", "acah-invalid", "acah-first-only"):
            for i, (n, v) in enumerate(lines):
                if n.lower() == name["acah"]:
                    value = {
                        "acah-star": "*",
                        "acah-invalid": v + ", x y",
                        "acah-first-only": v.split(",")[0],
                    }[kind]
                    lines[i] = (n, value)
    return applied


PREFLIGHT_MUTATIONS = [
    "drop-acao",
    "acao-star",
    "acao-slash",
    "acao-other",
    "acao-twice",
    "drop-acac",
    "acac-upper",
    "drop-acam",
    "acam-lower",
    "acam-star",
    "acam-invalid",
    "drop-acah",
    "acah-star",
    "acah-invalid",
    "acah-first-only",
    "status",
]
ACTUAL_MUTATIONS = [
    "drop-acao",
    "acao-star",
    "acao-slash",
    "acao-other",
    "acao-twice",
    "drop-acac",
    "acac-upper",
    "status",
]


def _scenario(rng: random.Random, index: int) -> Scenario:
    method = rng.choice(METHODS)
    headers = tuple(rng.sample(HEADER_POOL, rng.choice((0, 1, 1, 2, 3))))
    credentials = rng.choice(("omit", "same-origin", "include"))
    body = None if method.upper() in ("GET", "HEAD") else rng.choice((None, "x", '{"a":1}'))
    redirected = rng.random() < 0.2
    target = rng.choice(("api", "api", "other")) if redirected else "api"
    start = rng.choice(("page", "api")) if redirected else "api"
    tainted = redirected and start == "api" and target != "api"
    origin = rng.choice(("null", "null", "*", "{page}")) if tainted else "{page}"

    allow: list[tuple[str, str]] = [acao(origin)]
    if credentials == "include":
        allow.append(ACAC)
    names = _unsafe_names(headers)
    written = method if rng.random() < 0.7 else method.upper()
    pre_lines = [*allow, acam(written)]
    if names:
        pre_lines.append(acah(", ".join(rng.choice((n, n.upper())) for n in names)))
    pre_applied = _mutate(rng, pre_lines, PREFLIGHT_MUTATIONS)
    pre_status = rng.choice((404, 500, 302, 200)) if "status" in pre_applied else 204
    if pre_status == 302:
        pre_lines.append(("Location", "{self}"))

    act_lines = [*allow, ("Content-Type", "text/plain"), *EXTRA, *(aceh(v) for v in rng.choice(ACEH))]
    act_applied = _mutate(rng, act_lines, ACTUAL_MUTATIONS)
    act_status = rng.choice((500, 404, 201)) if "status" in act_applied else 200

    preflight = Reply(pre_status, tuple(pre_lines), "")
    final = Hop(target, Reply(act_status, tuple(act_lines)), preflight)
    hops: tuple[Hop, ...] = (final,)
    if redirected:
        hop_allow = [acao(), ACAC] if credentials == "include" else [acao()]
        lines = [] if start == "page" else hop_allow
        status = rng.choice((301, 302, 303, 307, 308))
        hops = (Hop(start, Reply(status, (("Location", "{next}"), *lines), ""), preflight), final)
    return Scenario(
        id=f"gen-{index:03d}",
        category="generated",
        hops=hops,
        method=method,
        headers=headers,
        credentials=credentials,
        body=body,
        note=f"preflight: {', '.join(pre_applied) or 'correct'}; "
        f"actual: {', '.join(act_applied) or 'correct'}",
    )


def generated(count: int = 150, seed: int = SEED) -> list[Scenario]:
    """``count`` random scenarios from ``seed``."""
    rng = random.Random(seed)
    return [_scenario(rng, i) for i in range(count)]
