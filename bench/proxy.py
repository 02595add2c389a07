"""``python -m bench.proxy``: corsight proxy against CORS Anywhere, side by side.

Both proxies run in open mode on loopback in front of the same upstream (a small keep-alive
JSON server in its own process), and the same load tool (wrk) drives each in turn, rounds
interleaved so that background load falls on both alike. CORS Anywhere is installed from the
npm registry into bench/.node/ (ignored by git) on first use. Each proxy is pinned to CPU 1
and the upstream and wrk to CPU 0 when the machine has two or more.

Reports requests per second and latency percentiles (median of the rounds), and exits 1
when corsight misses its target: at least CORS Anywhere's throughput and a lower p99.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / ".node"
CORS_ANYWHERE = "cors-anywhere@0.4.4"
ORIGIN = "http://app.bench.test"

NODE_SERVER = """
const corsAnywhere = require(process.argv[1] + '/node_modules/cors-anywhere');
corsAnywhere.createServer({}).listen(+process.argv[2], '127.0.0.1');
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"bench.proxy: nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def pinned(cpu: int, argv: list[str]) -> list[str]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *argv]
    return argv


@contextlib.contextmanager
def running(argv: list[str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_tools() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench.proxy: wrk is missing; install it with: apt-get install wrk")
    if not shutil.which("node") or not shutil.which("npm"):
        raise SystemExit("bench.proxy: node and npm are needed for CORS Anywhere: apt-get install nodejs npm")
    if not (NODE_DIR / "node_modules" / "cors-anywhere").is_dir():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        print(f"bench.proxy: installing {CORS_ANYWHERE} into {NODE_DIR.relative_to(ROOT)}", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(NODE_DIR),
                        CORS_ANYWHERE], check=True)  # fmt: skip


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        pinned(0, ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                   "-H", f"Origin: {ORIGIN}", url]),
        capture_output=True, text=True, check=True,
    ).stdout
    result: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        result[f"p{pct}"] = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = sum(map(int, errors.groups())) if errors else 0
    result["errors"] = float(failed + (int(non2xx.group(1)) if non2xx else 0))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=5, help="per round and proxy")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--access-log", default="off", help="corsight's access log: off, or a file path")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ensure_tools()

    up, cs, ca = free_port(), free_port(), free_port()
    python = sys.executable
    contenders = {
        "corsight proxy": (
            pinned(1, [python, "-m", "corsight", "proxy", "--port", str(cs), "--allow-origin", "*",
                       "--allow-target", f"127.0.0.1:{up}", "--access-log", args.access_log]),
            f"http://127.0.0.1:{cs}/http://127.0.0.1:{up}/items/1",
            cs,
        ),
        "CORS Anywhere 0.4.4": (
            pinned(1, ["node", "-e", NODE_SERVER, str(NODE_DIR), str(ca)]),
            f"http://127.0.0.1:{ca}/http://127.0.0.1:{up}/items/1",
            ca,
        ),
    }
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
    with running(pinned(0, [python, "-m", "tests.proxy_support", "fast", str(up)]), up):
        for _ in range(args.rounds):
            for name, (command, url, port) in contenders.items():
                with running(command, port):
                    wrk(url, args.connections, 1)  # warm-up: connections, JIT, pools
                    rounds[name].append(wrk(url, args.connections, args.seconds))
    summary = {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
               for name, runs in rounds.items()}  # fmt: skip
    ours, theirs = summary["corsight proxy"], summary["CORS Anywhere 0.4.4"]
    met = ours["rps"] >= theirs["rps"] and ours["p99"] < theirs["p99"] and ours["errors"] == 0
    if args.json:
        print(json.dumps({"connections": args.connections, "seconds": args.seconds, "rounds": rounds,
                          "median": summary, "target_met": met}, indent=2))  # fmt: skip
    else:
        load = os.getloadavg()[0]
        print(f"open mode, GET of a 56-byte JSON body, wrk -t1 -c{args.connections}, {args.rounds} rounds "
              f"of {args.seconds:g} s, medians (load average {load:.1f})")  # fmt: skip
        print(f"{'':22} {'req/s':>9} {'p50 ms':>8} {'p75 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, s in summary.items():
            cells = " ".join(f"{s[k]:8.2f}" for k in ("p50", "p75", "p90", "p99"))
            print(f"{name:22} {s['rps']:9.0f} {cells} {s['errors']:7.0f}")
        print("target (≥ CORS Anywhere's throughput, lower p99, no error):", "met" if met else "MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
