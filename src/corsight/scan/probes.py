"""The probes: which Origin (and, for preflights, which method and headers) each class is
tested with. Hostile origins are built from the target's registrable domain and from the
trusted origins the server was seen to accept, so they aim at the real allow-list.

Every probe host contains ``corsight`` so that server operators can recognise scan traffic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from corsight.browser import Origin
from corsight.scan.severity import Severity
from corsight.scan.target import (
    ScanTarget,
    is_ip,
    is_listed_suffix,
    public_suffix,
    registrable_domain,
)

ATTACKER = "corsight-attacker.example"
PROBE_METHOD = "CORSIGHT"  # a method no allow-list names: only an echoing preflight allows it
PROBE_HEADER = "X-Corsight-Probe"

# Characters the URL Standard allows inside a domain (Firefox and Safari accept them in an
# Origin; Chromium escapes or rejects some) that naive origin parsers treat as the end of the
# host. `^`, `|`, `%` and controls are left out: no browser can send them in an Origin.
SPECIAL_CHARACTERS = (
    "_",
    "-",
    "~",
    "!",
    "$",
    "&",
    "'",
    "(",
    ")",
    "*",
    "+",
    ",",
    ";",
    "=",
    "`",
    "{",
    "}",
    '"',
)

# Hosts where anyone can publish a page: code playgrounds, static hosting, tunnels.
THIRD_PARTY_ORIGINS = (
    "https://corsight-attacker.github.io",
    "https://codepen.io",
    "https://cdpn.io",
    "https://jsfiddle.net",
    "https://fiddle.jshell.net",
    "https://jsbin.com",
    "https://corsight-attacker.netlify.app",
    "https://corsight-attacker.vercel.app",
    "https://corsight-attacker.pages.dev",
    "https://corsight-attacker.herokuapp.com",
    "https://corsight-attacker.glitch.me",
    "https://corsight-attacker.ngrok-free.app",
)

# (origin, cap): a plain localhost origin needs a program on the victim's machine; a host that
# only starts with "localhost" is anyone's.
LOCALHOST_ORIGINS = (
    ("http://localhost", Severity.LOW),
    ("http://localhost:3000", Severity.LOW),
    ("http://localhost:8080", Severity.LOW),
    ("http://127.0.0.1", Severity.LOW),
    (f"https://localhost.{ATTACKER}", Severity.HIGH),
)

#: What a probe tests: a simple request, one that needs a CORS preflight, or a Private Network
#: Access preflight.
ProbeKind = Literal["get", "preflight", "pna"]


@dataclass(frozen=True)
class Probe:
    """One request to send. ``class_id`` is None for calibration (trusted-origin) probes."""

    class_id: str | None
    origin: str | None
    label: str
    kind: ProbeKind = "get"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    cap: Severity = Severity.HIGH
    trusted: bool = False


def origin_string(scheme: str, host: str, port: int | None = None) -> str:
    return Origin(scheme, host, port).serialize()


def _default_port(origin: Origin) -> int | None:
    return origin.port


# --- calibration ---------------------------------------------------------------------------------


def trusted_candidates(target: ScanTarget, extra: Iterable[str] = ()) -> list[str]:
    """Origins a correct server is likely to trust: its own, the site's apex, www and app
    over https, and the ones the user named with ``--origin``."""
    found = [target.serialized_origin]
    if target.registrable:
        reg = target.registrable
        found += [f"https://{reg}", f"https://www.{reg}", f"https://app.{reg}"]
    found += [o.strip() for o in extra if o.strip()]
    return list(dict.fromkeys(found))


def calibration_probes(target: ScanTarget, extra: Iterable[str] = ()) -> list[Probe]:
    return [
        Probe(None, origin, "trusted candidate", trusted=True) for origin in trusted_candidates(target, extra)
    ]


# --- attack probes ---------------------------------------------------------------------------------


def _dot_mutations(host: str, registrable: str | None, own_suffix: str | None, limit: int = 3) -> list[str]:
    """Hosts with one dot replaced by a letter that someone else could register."""
    if is_ip(host):
        return []
    out: list[str] = []
    for i, c in enumerate(host):
        if c != ".":
            continue
        mutated = host[:i] + "x" + host[i + 1 :]
        domain = registrable_domain(mutated)
        suffix = public_suffix(mutated)
        if domain is None or domain == registrable or suffix is None:
            continue
        if suffix != own_suffix and not is_listed_suffix(suffix):
            continue
        out.append(mutated)
        if len(out) == limit:
            break
    return out


def attack_probes(target: ScanTarget, bases: list[Origin]) -> list[Probe]:
    """The hostile probes. ``bases`` are the trusted origins the server accepted: prefix,
    substring, dot and special-character probes are built around them, and look-alikes of the
    registrable domain are sent only when one was accepted. A check that rejects every trusted
    origin rejects their mutations too (each such check accepts the origin it was written
    for), so without a base only the probes that need none are sent. The list depends only
    on the target's site and scheme, so URLs of one API share it (built once)."""
    return list(_attack_probes(target.registrable, target.suffix, target.scheme, tuple(bases)))


@lru_cache(maxsize=256)
def _attack_probes(
    reg: str | None, own_suffix: str | None, scheme: str, bases: tuple[Origin, ...]
) -> tuple[Probe, ...]:
    probes: list[Probe] = [
        Probe("any-origin", f"https://{ATTACKER}", "an unrelated origin"),
        Probe("null-origin", "null", "the opaque origin"),
    ]
    probes += [Probe("third-party-origin", o, "third-party host") for o in THIRD_PARTY_ORIGINS]
    probes += [Probe("localhost-origin", o, "localhost", cap=cap) for o, cap in LOCALHOST_ORIGINS]
    if reg and bases:
        probes.append(Probe("suffix-match", f"https://corsight{reg}", f"ends with {reg}"))
        reverse = reg[1:]
        if registrable_domain(reverse) == reverse:
            probes.append(Probe("substring-match", f"https://{reverse}", f"a substring of {reg}"))
        probes.append(Probe("any-subdomain", f"https://corsight-probe.{reg}", f"a subdomain of {reg}"))
    for index, base in enumerate(bases):
        s, h, p = base.scheme, base.host, _default_port(base)
        probes.append(Probe("prefix-match", origin_string(s, f"{h}.{ATTACKER}", p), f"starts with {h}"))
        probes.append(
            Probe("substring-match", origin_string(s, f"corsight{h}.{ATTACKER}", p), f"contains {h}")
        )
        for mutated in _dot_mutations(h, reg, own_suffix):
            probes.append(Probe("unescaped-dot", origin_string(s, mutated, p), f"a dot of {h} replaced"))
        if index == 0:  # the parser behind a check is the same whichever origin it compares
            port = "" if p is None or _is_default(s, p) else f":{p}"
            probes += [
                Probe("special-characters", f"{s}://{h}{c}.{ATTACKER}{port}", f"{h} then {c!r}")
                for c in SPECIAL_CHARACTERS
            ]
        if s == "https" and scheme == "https":
            probes.append(Probe("http-origin", origin_string("http", h, None), f"http:// twin of {h}"))
        if not reg and not is_ip(h):
            probes.append(Probe("any-subdomain", origin_string(s, f"corsight-probe.{h}", p), f"under {h}"))
    return tuple(_dedupe(probes))


def _is_default(scheme: str, port: int) -> bool:
    return (scheme, port) in (("http", 80), ("https", 443))


def _dedupe(probes: list[Probe]) -> list[Probe]:
    seen: set[str | None] = set()
    out = []
    for probe in probes:
        if probe.origin in seen:
            continue
        seen.add(probe.origin)
        out.append(probe)
    return out


BASED_CLASSES = (
    "prefix-match",
    "suffix-match",
    "substring-match",
    "unescaped-dot",
    "any-subdomain",
    "special-characters",
    "http-origin",
)


def not_applicable(target: ScanTarget, bases: list[Origin]) -> dict[str, str]:
    """Classes that cannot be tested on this target, and why."""
    skipped: dict[str, str] = {}
    if not bases:
        why = "no trusted origin was accepted, so there is no check to bypass (name yours with --origin)"
        skipped.update(dict.fromkeys(BASED_CLASSES, why))
        return skipped
    if not target.registrable:
        why = f"{target.host} has no registrable domain (an IP address or a single label)"
        for class_id in ("suffix-match", "unescaped-dot"):
            skipped[class_id] = why
    if target.scheme != "https":
        skipped["http-origin"] = "the target itself is plain http"
    elif all(b.scheme != "https" for b in bases):
        skipped["http-origin"] = "no https origin was seen trusted"
    return skipped


# --- preflights ---------------------------------------------------------------------------------------


def preflight_probes(hostile: str, trusted: str | None) -> list[Probe]:
    """Preflights asking for a made-up method and a made-up header with credentials, from a
    hostile origin (and a trusted one), and a private-network preflight from the hostile one."""
    probes = []
    for origin, is_trusted in ((hostile, False), (trusted, True)):
        if origin is None:
            continue
        who = "trusted" if is_trusted else "hostile"
        probes.append(
            Probe(
                "permissive-preflight",
                origin,
                f"any method ({who})",
                "preflight",
                PROBE_METHOD,
                (),
                trusted=is_trusted,
            )
        )
        probes.append(
            Probe(
                "permissive-preflight",
                origin,
                f"any header ({who})",
                "preflight",
                "GET",
                ((PROBE_HEADER, "1"),),
                trusted=is_trusted,
            )
        )
    probes.append(Probe("private-network-access", hostile, "private network preflight", "pna"))
    return probes
