"""``corsight.check``: do over real HTTP what a browser would do, and explain the outcome.

The browser model (:mod:`corsight.browser`) decides; :func:`check` only sends the requests it
asks for (:mod:`~corsight.check.wire`, within one deadline), feeds back the answers, and
returns a :class:`CheckResult` whose :class:`~corsight.diagnosis.Diagnosis` names the cause and
the fix. The command line is :mod:`corsight.check.cli`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal

from corsight.browser import (
    Exchange,
    Fetch,
    Outgoing,
    PreflightCache,
    RequestError,
    URLError,
    Verdict,
    needs_preflight,
    prepare_request,
)
from corsight.browser.urls import canonical_url, is_http_url, origin_of, same_origin
from corsight.check.result import CheckError, CheckResult, Outcome
from corsight.check.wire import Wire
from corsight.check.wire import send as send_request
from corsight.diagnosis import SERVERS, Context, diagnose, diagnose_refused

#: Methods sent without ``send=True``: the others may change data on the server.
SAFE_TO_SEND = frozenset({"GET", "HEAD", "OPTIONS"})
#: The longest timeout accepted (a day): beyond, socket timeouts overflow.
MAX_TIMEOUT = 86_400.0
TIMEOUT_RULE = f"a number of seconds greater than 0 and at most {MAX_TIMEOUT:g} is needed"


def valid_timeout(timeout: object) -> float:
    """``timeout`` as seconds for :func:`check`, or :class:`CheckError`: a number greater than
    0 and at most a day (not a bool, NaN or infinity)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise CheckError(f"invalid timeout {timeout!r}: {TIMEOUT_RULE}")  # NaN fails the comparison
    return float(timeout)


def check(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    credentials: Literal["omit", "same-origin", "include"] = "same-origin",
    body: bytes | str | None = None,
    send: bool = False,
    timeout: float = 10.0,
    server: str | None = None,
) -> CheckResult:
    """Make the request a page of ``origin`` would make with ``fetch(url, {method, headers,
    credentials, body})`` and report whether Chromium would let the page read the response.

    The preflight is sent when the browser would send one. The actual request is sent for GET,
    HEAD and OPTIONS; other methods only with ``send=True`` (they may change data) — without it
    the check stops after the preflight, the outcome is ``not-verified`` and a note says what
    was not verified. ``server`` (one of :data:`~corsight.diagnosis.SERVERS`) picks the
    configuration in the diagnosis's snippets (all of them without it). ``timeout`` is a
    deadline in seconds for the whole exchange (connections, preflight, actual request,
    redirects), not a timeout per read. Raises :class:`CheckError` for bad input (a timeout
    that is not a number in (0, 86400] included), when the server cannot be reached, or when
    the deadline passes.
    """
    timeout = valid_timeout(timeout)
    if credentials not in ("omit", "same-origin", "include"):
        raise CheckError(f"invalid credentials mode {credentials!r}: use omit, same-origin or include")
    if server is not None and server not in SERVERS:
        raise CheckError(f"unknown server {server!r}: choose one of {', '.join(SERVERS)}")
    if not is_http_url(url):
        try:
            canonical_url(url)  # says precisely what is wrong with it
        except URLError as exc:
            raise CheckError(str(exc)) from None
        raise CheckError(f"invalid URL {url!r}: only http:// and https:// URLs can be checked")
    try:
        request = prepare_request(
            url, origin=origin, method=method, headers=headers, credentials=credentials, body=body
        )
    except RequestError as exc:
        refused = diagnose_refused(exc)
        return CheckResult(url, origin, method, credentials, request=None, verdict=None, diagnosis=refused,
                           type_error=exc.message.console)  # fmt: skip
    except URLError as exc:
        raise CheckError(str(exc)) from None
    cross = not same_origin(request.origin, origin_of(request.url))
    timeline: list[Exchange] = []
    fetch = Fetch(request, cache=PreflightCache())
    step: Outgoing | Verdict = fetch.start()
    with Wire(timeout) as wire:
        while isinstance(step, Outgoing):
            if step.kind == "actual" and step.method not in SAFE_TO_SEND and not send:
                timeline.append(Exchange(step, sent=False))
                step = fetch.stop(
                    f"the {step.method} request was not sent (it may change data on the server):"
                    " the actual response's CORS headers are unverified; run with --send to send it"
                )
                break
            response, sent = send_request(wire, step)
            timeline.append(Exchange(replace(step, headers=tuple(sent)), response))
            step = fetch.receive(response)
    preflight_needed = (cross and needs_preflight(request)) or any(
        e.request.kind == "preflight" for e in timeline
    )
    notes = list(step.notes)
    if not cross:
        notes.append("the URL is same-origin with the page: CORS does not apply to this request")
    if not step.complete and not preflight_needed:
        notes.append(
            "nothing was sent: without a preflight, only the actual response decides; run with"
            " --send to verify"
        )
    servers = SERVERS if server is None else (server,)
    return CheckResult(
        url=request.url,
        origin=request.origin.serialize(),
        method=request.method,
        credentials=request.credentials,
        request=request,
        verdict=step,
        diagnosis=diagnose(request, step, Context(servers=servers)),
        preflight_needed=preflight_needed,
        timeline=tuple(timeline),
        notes=tuple(notes),
    )


__all__ = [
    "MAX_TIMEOUT",
    "SERVERS",
    "CheckError",
    "CheckResult",
    "Outcome",
    "check",
    "valid_timeout",
]
