"""The usage page the proxy serves at ``/`` (open mode) or ``/__corsight/`` (upstream mode)."""

from __future__ import annotations

from html import escape

from corsight.proxy.config import FINAL_URL_HEADER, ProxyConfig

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}"
    "code,pre{font:14px ui-monospace,monospace;background:#f3f3f3;border-radius:4px}"
    "pre{padding:.8em;overflow-x:auto}code{padding:.1em .3em}td{padding:.2em .8em .2em 0;vertical-align:top}"
)


def _items(values: tuple[str, ...]) -> str:
    if values == ("*",):
        return "any"
    return ", ".join(f"<code>{escape(v)}</code>" for v in values) or "none"


def _size(limit: int | None) -> str:
    return "none" if limit is None else f"{limit} bytes"


def _seconds(limit: float | None) -> str:
    return "none" if limit is None else f"{limit:g} s"


def usage_page(config: ProxyConfig, base: str) -> str:
    """HTML explaining how to call this proxy, with its own URL and settings filled in."""
    b = escape(base)
    if config.upstream is None:
        how = (
            f"<p>Put the full URL of the API after this proxy's address:</p>"
            f'<pre>fetch("{b}/https://api.example.com/items?page=2")</pre>'
            "<p>Only <code>http</code> and <code>https</code> URLs are proxied. Addresses on loopback, "
            "private networks, link-local (cloud metadata), multicast and reserved ranges are refused "
            "unless the operator allowed them, after DNS resolution and on every redirect.</p>"
        )
    else:
        how = (
            f"<p>Every path under this proxy goes to its one upstream:</p>"
            f'<pre>fetch("{b}/items?page=2")   // reaches the upstream\'s /items?page=2</pre>'
        )
    rows = [
        ("pages allowed to call it", _items(config.allow_origins + config.allow_origin_regex)),
        ("methods", _items(config.allow_methods)),
        ("request headers", _items(config.allow_headers)),
        ("required request header (one of)", _items(config.require_headers)),
        ("rate limit per origin", escape(config.rate_limit_origin or "none")),
        ("rate limit per client", escape(config.rate_limit_client or "none")),
        ("redirects", f"{escape(config.redirects)} (at most {config.max_redirects})"),
        ("cookies", "forwarded" if config.cookies else "stripped in both directions"),
        ("request body limit", f"{config.max_request_bytes} bytes"),
        ("response body limit", _size(config.max_response_bytes)),
        (
            "timeouts",
            f"connect {config.connect_timeout:g} s, between bytes {config.read_timeout:g} s, "
            f"whole response {_seconds(config.response_timeout)}",
        ),
    ]
    table = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>corsight proxy</title><style>{_STYLE}</style>"
        f"<h1>corsight proxy</h1><p>A CORS proxy in <b>{config.mode} mode</b>: it lets web pages of the "
        "allowed origins read APIs that send no CORS headers.</p>"
        f"<h2>How to call it</h2>{how}"
        f"<p>The response carries <code>{FINAL_URL_HEADER}</code>, the URL finally fetched after "
        "redirects; script can read it. Errors of the proxy (refused target, upstream down or too slow) "
        "come back as 4xx/502/504 with a one-line text body that script can read too.</p>"
        f"<h2>This proxy's settings</h2><table>{table}</table>"
        f"<p>Health: <code>{escape(config.health_path)}</code>. Documentation: docs/proxy.md of corsight.</p>"
    )
