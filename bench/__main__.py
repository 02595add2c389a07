"""``python -m bench``: verify, time, print the figures and check them against the targets.

Exit status: 0 when every target is met or too noisy to judge (or with ``--no-fail``), 1 when
one is missed, 2 when a contender did not answer as configured (nothing is timed then).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench import adversarial, report, suite
from bench.verify import VerificationError


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Per-request time added by corsight's ASGI and WSGI middleware, "
        "side by side with Starlette's CORSMiddleware and flask-cors.",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    parser.add_argument("--repeats", type=int, default=41, help="interleaved rounds per entry (default 41)")
    parser.add_argument(
        "--batch-ms", type=float, default=12.0, help="target CPU time of one timed batch (default 12)"
    )
    parser.add_argument(
        "--stat",
        choices=("min", "median"),
        default="min",
        help="how the rounds are summarised (default min: interference only ever adds time)",
    )
    parser.add_argument("--quick", action="store_true", help="a fast, rough run (5 rounds of 5 ms batches)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.batch_ms = 5, 5.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    log = suite.stderr_log
    settings = {"repeats": args.repeats, "batch_ms": args.batch_ms, "statistic": args.stat}
    started = time.perf_counter()
    try:
        results = suite.run(
            repeats=args.repeats, batch_seconds=args.batch_ms / 1e3, statistic=args.stat, log=log
        )
        outcomes = adversarial.run(rounds=5, batch_seconds=args.batch_ms / 1e3, log=log)
    except VerificationError as exc:
        print(f"bench: not timed, a contender is misconfigured: {exc}", file=sys.stderr)
        return 2
    settings["seconds"] = round(time.perf_counter() - started, 1)
    found = report.checks(results, outcomes)
    if args.json:
        print(json.dumps(report.as_json(results, outcomes, found, settings), indent=2))
    else:
        print(report.table(results, outcomes, found, settings))
        print(f"(run took {settings['seconds']} s; rerun with: ./run bench, or .venv/bin/python -m bench)")
    if all(check.ok for check in found) or args.no_fail:
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
