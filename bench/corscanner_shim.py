"""Run CORScanner (PyPI ``cors`` 1.0.1) inside its own venv, held to loopback.

Invoked by ``python -m bench.scan`` with that venv's interpreter, never imported by corsight:
``python bench/corscanner_shim.py RESOLVE_JSON -- <CORScanner arguments>``.

- Name resolution is replaced: a name listed in RESOLVE_JSON resolves to its loopback
  address, a loopback literal resolves to itself, anything else fails. No packet can leave
  127.0.0.0/8 whatever CORScanner or a redirect asks for.
- tldextract is made to use the suffix list snapshot bundled in the package (it would
  otherwise download the Public Suffix List on first use).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def main() -> None:
    resolve: dict[str, str] = json.loads(sys.argv[1])
    args = sys.argv[sys.argv.index("--") + 1 :]

    import tldextract

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = offline

    from CORScanner import cors_scan  # imports gevent and monkey-patches socket

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *rest, **kw):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else str(host)
        target = resolve.get(name.lower(), name)
        if not _loopback(target):
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: not resolvable in the benchmark")
        return real(target, port, *rest, **kw)

    socket.getaddrinfo = getaddrinfo
    sys.argv = ["cors_scan.py", *args]
    cors_scan.main()


if __name__ == "__main__":
    main()
