"""The adversarial preflight: ``Access-Control-Request-Headers`` of 1 MiB of commas, which a
middleware that splits the header before bounding it pays for in time and memory.

corsight must deny it in well under a millisecond; the incumbents are shown on the same input
for comparison, with a few iterations only, because they take far longer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench import asgi_apps, verify, wsgi_apps
from bench.timing import calibrate, clock, timed_batch
from bench.workload import adversarial_preflight, allowed_origins

#: corsight's bound on this request, per request.
LIMIT_MS = 0.2

#: (side, contender, how many timed calls): corsight is timed like the main suite, the
#: incumbents call by call.
CONTENDERS = (
    ("asgi", "corsight", 0),
    ("asgi", "starlette", 3),
    ("wsgi", "corsight", 0),
    ("wsgi", "flask-cors", 1),
)


@dataclass
class Outcome:
    side: str
    contender: str
    ms: float  # per request (the fastest of the calls or batches)
    calls: int
    status: int
    denied: bool


def run(*, rounds: int, batch_seconds: float, log: Callable[[str], None]) -> list[Outcome]:
    """Time each contender on the adversarial preflight; raise if corsight does not deny it."""
    asgi, wsgi = asgi_apps.Side(), wsgi_apps.Side()
    sides = {"asgi": asgi, "wsgi": wsgi}
    origins = allowed_origins(1)
    request = adversarial_preflight(origins[-1])
    outcomes = []
    try:
        for side_name, contender, calls in CONTENDERS:
            side = sides[side_name]
            app = side.build(contender, origins)
            log(f"adversarial preflight: {side_name} {contender}")
            start = clock()
            response = side.call(app, request)
            first = clock() - start
            denied = verify.is_denial(response)
            if contender == "corsight":
                problems = verify.denied(response, strict=True)
                if not 400 <= response.status < 500:
                    problems.append(f"status {response.status}")
                if problems:
                    raise verify.VerificationError(f"{side_name} corsight, adversarial preflight: {problems}")
                run_n = side.timer(app, request)
                batch = calibrate(run_n, batch_seconds)
                best = min(timed_batch(run_n, batch) for _ in range(rounds))
                total = batch * rounds
            else:
                times = [first]
                for _ in range(calls - 1):
                    start = clock()
                    side.call(app, request)
                    times.append(clock() - start)
                best, total = min(times), len(times)
            outcomes.append(Outcome(side_name, contender, best * 1e3, total, response.status, denied))
    finally:
        asgi.close()
        wsgi.close()
    return outcomes
