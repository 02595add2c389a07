"""``python -m bench.scan``: corsight scan side by side with CORScanner on the scan lab.

Both scanners run in their own process against the same lab server (a third process on
127.0.0.1), at the same concurrency (CORScanner ``-t N``; corsight ``-c N --per-host N``, as
every lab URL is on one host). CORScanner (PyPI ``cors`` 1.0.1) is installed on first use into
``artifacts/corscanner-venv`` and held to loopback by ``bench/corscanner_shim.py``.

Reported: wall time (median of ``--rounds``), requests, findings, and whether corsight found
every (URL, class) CORScanner reported, folded hits included. Targets: every CORScanner
finding, and at least 5x faster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from pathlib import Path
from typing import Any

from tests.scanlab import CORRECT_PATHS, HOST, VULNERABLE
from tests.servers import _wait_listening, free_port

ROOT = Path(__file__).resolve().parent.parent
CS_VENV = ROOT / "artifacts" / "corscanner-venv"
CS_PACKAGE = "cors==1.0.1"
SHIM = Path(__file__).resolve().parent / "corscanner_shim.py"
# CORScanner's types and the corsight class each one is.
CS_TYPES = {
    "reflect_origin": "any-origin",
    "prefix_match": "prefix-match",
    "suffix_match": "suffix-match",
    "trust_null": "null-origin",
    "include_match": "substring-match",
    "not_escape_dot": "unescaped-dot",
    "custom_third_parties": "third-party-origin",
    "special_characters_bypass": "special-characters",
    "trust_any_subdomain": "any-subdomain",
    "https_trust_http": "http-origin",
}
# The lab app behind a counter of the requests each scanner sent (GET /__requests?reset).
SERVE = """
import json, sys, uvicorn
sys.path.insert(0, {root!r})
from tests.scanlab import app
seen = [0]
async def counted(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/__requests":
        body = json.dumps(seen[0]).encode()
        seen[0] = 0
        await send({{"type": "http.response.start", "status": 200, "headers": []}})
        await send({{"type": "http.response.body", "body": body}})
        return
    seen[0] += 1
    await app(scope, receive, send)
uvicorn.run(counted, host="127.0.0.1", port={port}, log_level="error", access_log=False)
"""


def served(port: int) -> int:
    """Requests the lab answered since the last call."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__requests", timeout=10) as response:
        return int(json.loads(response.read()))


def corscanner_python() -> Path:
    python = CS_VENV / "bin" / "python"
    if not python.exists():
        print(f"bench.scan: installing {CS_PACKAGE} into {CS_VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(CS_VENV)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", CS_PACKAGE], check=True)
    return python


def lab_urls(port: int, copies: int) -> list[str]:
    paths = [p for p in [*VULNERABLE, *CORRECT_PATHS]]
    return [f"http://{HOST}:{port}{path}?copy={i}" for i in range(copies) for path in paths]


def run_corsight(urls_file: Path, port: int, concurrency: int) -> tuple[float, dict[str, Any]]:
    cmd = [
        sys.executable, "-m", "corsight", "scan", "--json", "--no-progress", "--fail-on", "never",
        "--resolve", f"{HOST}:{port}:127.0.0.1",
        "-c", str(concurrency), "--per-host", str(concurrency), "-i", str(urls_file),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def run_corscanner(python: Path, urls_file: Path, port: int, concurrency: int) -> tuple[float, list[Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        resolve = json.dumps({HOST: "127.0.0.1"})
        cmd = [
            str(python),
            str(SHIM),
            resolve,
            "--",
            "-i",
            str(urls_file),
            "-t",
            str(concurrency),
            "-o",
            str(out),
        ]
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=tmp)
        elapsed = time.perf_counter() - started
        return elapsed, json.loads(out.read_text()) if out.exists() else []


def coverage(ours: dict[str, Any], theirs: list[Any]) -> tuple[list[str], int]:
    """CORScanner findings corsight missed (as 'url class'), and how many it matched."""
    found: set[tuple[str, str]] = set()
    for result in ours["results"]:
        for f in result["findings"]:
            found.add((result["url"], f["class"]))
            found |= {(result["url"], also["class"]) for also in f["also_accepted"]}
    missed = []
    for item in theirs:
        key = (item["url"].strip(), CS_TYPES.get(item["type"], item["type"]))
        if key not in found:
            missed.append(f"{key[0]} {key[1]}")
    return missed, len(theirs) - len(missed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scan", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=20, help="for both scanners (default 20)")
    parser.add_argument("--copies", type=int, default=4, help="copies of each lab URL (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each scanner (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    python = corscanner_python()
    load_before = os.getloadavg()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE.format(root=str(ROOT), port=port)])
    try:
        _wait_listening(port)
        with tempfile.TemporaryDirectory() as tmp:
            urls = lab_urls(port, args.copies)
            urls_file = Path(tmp) / "urls.txt"
            urls_file.write_text("\n".join(urls) + "\n")
            ours_times, theirs_times = [], []
            ours: dict[str, Any] = {}
            theirs: list[Any] = []
            served(port)
            for _ in range(args.rounds):
                t, theirs = run_corscanner(python, urls_file, port, args.concurrency)
                theirs_times.append(t)
                theirs_requests = served(port)
                t, ours = run_corsight(urls_file, port, args.concurrency)
                ours_times.append(t)
                ours_requests = served(port)
    finally:
        server.terminate()
        server.wait(10)
    missed, matched = coverage(ours, theirs)
    ours_s, theirs_s = statistics.median(ours_times), statistics.median(theirs_times)
    above_info = sum(n for level, n in ours["summary"]["findings"].items() if level != "info")
    figures = {
        "urls": len(urls),
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "corscanner": {
            "seconds": round(theirs_s, 2),
            "requests": theirs_requests,
            "findings": len(theirs),
            "all_seconds": theirs_times,
        },
        "corsight": {
            "seconds": round(ours_s, 2),
            "requests": ours_requests,
            "findings": sum(ours["summary"]["findings"].values()),
            "findings_above_info": above_info,
            "all_seconds": ours_times,
        },
        "speedup": round(theirs_s / ours_s, 2),
        # Other work on the machine slows both scanners, not always alike: keep it with the figures.
        "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "corscanner_findings_matched": matched,
        "corscanner_findings_missed": missed,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        load = figures["load_average_1min"]
        print(
            f"lab: {len(urls)} URLs on 127.0.0.1, concurrency {args.concurrency}, median of {args.rounds};"
            f" {os.cpu_count()} CPUs, load average {load[0]} before, {load[1]} after"
        )
        print(
            f"  CORScanner 1.0.1  {theirs_s:7.2f} s  {theirs_requests:6d} requests"
            f"  {len(theirs)} findings (it stops at the first per URL)"
        )
        print(
            f"  corsight scan     {ours_s:7.2f} s  {ours_requests:6d} requests"
            f"  {figures['corsight']['findings']} findings ({above_info} above info)"
        )
        times = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(theirs_times, ours_times, strict=True))
        print(f"  rounds (CORScanner/corsight s): {times}")
        print(
            f"  speed-up {figures['speedup']}x;"
            f" CORScanner findings corsight also found: {matched}/{len(theirs)}"
        )
        for item in missed:
            print(f"  MISSED {item}")
    ok = not missed and figures["speedup"] >= 5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
