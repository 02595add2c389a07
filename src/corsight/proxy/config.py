"""The proxy's settings: one validated object, built from defaults, a TOML file, the
environment (``CORSIGHT_PROXY_<NAME>``) and flags, later sources winning.

Every mistake is a :class:`~corsight.errors.ConfigError` at startup whose message names the
setting, the value and the fix; nothing is checked again at request time. The file and the
environment are read with :mod:`corsight.config`, as the middleware's are.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corsight.config.environment import fields_of, read_environment
from corsight.config.problems import E_UNKNOWN, identified
from corsight.config.toml import read_document
from corsight.errors import ConfigError, PolicyError, Problem
from corsight.policy import Policy
from corsight.proxy.targets import AllowedTarget, IPNetwork, TargetError, TargetRules, parse_target

ENV_PREFIX = "CORSIGHT_PROXY_"

#: The header that tells script the URL finally fetched (after redirects).
FINAL_URL_HEADER = "X-Final-Url"

#: uvicorn's HTTP/1.1 implementations the proxy can be served with ("auto": httptools if installed).
HTTP_IMPLEMENTATIONS = ("auto", "httptools", "h11")


@dataclass(frozen=True)
class ProxyConfig:
    """Settings of ``corsight proxy``; see docs/proxy.md for each one."""

    # who may use the proxy (a corsight Policy, with proxy-friendly defaults)
    allow_origins: tuple[str, ...] = ()
    allow_origin_regex: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("*",)
    allow_headers: tuple[str, ...] = ("*",)
    expose_headers: tuple[str, ...] = ("*",)
    allow_credentials: bool = False
    max_age: int | None = 600
    allow_private_network: bool = False
    require_headers: tuple[str, ...] = ()
    rate_limit_origin: str | None = None
    rate_limit_client: str | None = None
    redis_url: str | None = None
    # where it may go
    upstream: str | None = None
    allow_targets: tuple[str, ...] = ()
    # HTTP
    redirects: str = "follow"  # or "pass"
    max_redirects: int = 5
    cookies: bool = False
    forwarded: bool = True
    trusted_proxies: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    response_timeout: float | None = 300.0
    max_request_bytes: int = 10 * 1024 * 1024
    max_response_bytes: int | None = None
    ca_file: str | None = None
    # operations
    host: str = "127.0.0.1"
    port: int = 8080
    access_log: str = "-"  # "-" stdout, "off", or a file path
    health_path: str = "/__corsight/health"
    graceful_timeout: float = 10.0
    head_timeout: float = 10.0
    max_head_bytes: int = 64 * 1024
    http: str = "auto"  # uvicorn's HTTP implementation: "auto", "httptools" or "h11"

    # derived, filled in by __post_init__
    policy: Policy = field(init=False, repr=False, compare=False)
    rules: TargetRules = field(init=False, repr=False, compare=False)
    trusted: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("allow_origins", "allow_origin_regex", "allow_methods", "allow_headers",
                     "expose_headers", "require_headers", "allow_targets", "trusted_proxies"):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{name}: expected a list of strings, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        if not self.allow_origins and not self.allow_origin_regex:
            raise ConfigError(
                "allow_origins: no origin may use the proxy; pass --allow-origin https://app.example.com "
                "(repeatable), or --allow-origin '*' to let any website use it"
            )
        if self.redirects not in ("follow", "pass"):
            raise ConfigError(f"redirects: {self.redirects!r} is neither 'follow' nor 'pass'")
        _check_number("max_redirects", self.max_redirects, 0, 20, int)
        _check_number("connect_timeout", self.connect_timeout, 0.001, 3600, float)
        _check_number("read_timeout", self.read_timeout, 0.001, 86400, float)
        if self.response_timeout is not None:
            _check_number("response_timeout", self.response_timeout, 0, 86400, float)
            if self.response_timeout == 0:  # 0 means no deadline, as "none" does
                object.__setattr__(self, "response_timeout", None)
        _check_number("head_timeout", self.head_timeout, 0.001, 3600, float)
        _check_number("max_head_bytes", self.max_head_bytes, 1024, 2**24, int)
        if self.http not in HTTP_IMPLEMENTATIONS:
            raise ConfigError(f"http: {self.http!r} is not one of {', '.join(HTTP_IMPLEMENTATIONS)}")
        _check_number("graceful_timeout", self.graceful_timeout, 0, 3600, float)
        _check_number("max_request_bytes", self.max_request_bytes, 0, 2**62, int)
        if self.max_response_bytes is not None:
            _check_number("max_response_bytes", self.max_response_bytes, 0, 2**62, int)
        _check_number("port", self.port, 0, 65535, int)
        if not self.health_path.startswith("/"):
            raise ConfigError(f"health_path: {self.health_path!r} must start with '/'")
        if self.cookies and self.upstream is None:
            raise ConfigError(
                "cookies: in open mode every proxied site would share the proxy's cookie jar; "
                "forward cookies only with --upstream"
            )
        if self.allow_credentials and not self.cookies:
            raise ConfigError(
                "allow_credentials: cookies are stripped, so credentials would carry nothing; "
                "add --cookies (upstream mode) or drop --allow-credentials"
            )
        for name in ("rate_limit_origin", "rate_limit_client"):
            value = getattr(self, name)
            if value is not None:
                _check_rate(name, value)
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://", "redis+unix://")
        ):
            raise ConfigError(f"redis_url: {self.redis_url!r} is not a redis:// or rediss:// URL")
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise ConfigError(f"ca_file: {self.ca_file!r} is not a readable file")
        allowed = []
        for text in self.allow_targets:
            try:
                allowed.append(AllowedTarget.parse(text))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if self.upstream is not None:
            try:
                target = parse_target(self.upstream)
            except TargetError as exc:
                raise ConfigError(f"upstream: {exc}") from None
            if target.path not in ("", "/") and "?" in target.path:
                raise ConfigError(f"upstream: {self.upstream!r} must not have a query")
            # The operator chose this upstream: reaching it is allowed whatever its address.
            allowed.append(AllowedTarget(target.host, None, target.port))
        object.__setattr__(self, "rules", TargetRules(tuple(allowed)))
        trusted = []
        for text in self.trusted_proxies:
            try:
                trusted.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"trusted_proxies: {text!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)"
                ) from None
        object.__setattr__(self, "trusted", tuple(trusted))
        object.__setattr__(self, "policy", self._policy())

    def _policy(self) -> Policy:
        allow_headers: Any = list(self.allow_headers)
        if allow_headers != ["*"]:
            # A required header must pass the preflight, or the proxy could never be used.
            allow_headers += [h for h in self.require_headers if h.lower() != "origin"]
        expose: Any = list(self.expose_headers)
        if expose != ["*"] or self.allow_credentials:
            expose = [h for h in expose if h != "*"] + [FINAL_URL_HEADER]
        methods: Any = "*" if list(self.allow_methods) == ["*"] else list(self.allow_methods)
        try:
            return Policy(
                allow_origins="*" if list(self.allow_origins) == ["*"] else list(self.allow_origins),
                allow_origin_regex=list(self.allow_origin_regex) or None,
                allow_methods=methods,
                allow_headers="*" if allow_headers == ["*"] else allow_headers,
                expose_headers="*" if expose == ["*"] else expose,
                allow_credentials=self.allow_credentials,
                max_age=self.max_age,
                allow_private_network=self.allow_private_network,
            )
        except PolicyError as exc:
            raise ConfigError(identified(exc.problems, str)) from None

    @property
    def mode(self) -> str:
        return "open" if self.upstream is None else "upstream"

    def public_dict(self) -> dict[str, Any]:
        """The settings (for logs and the usage page); secrets in the Redis URL are hidden."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        if self.redis_url and "@" in self.redis_url:
            scheme, _, rest = self.redis_url.partition("://")
            out["redis_url"] = f"{scheme}://***@{rest.rpartition('@')[2]}"
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _check_number(name: str, value: Any, low: float, high: float, kind: type) -> None:
    ok_type = isinstance(value, int) if kind is int else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not low <= value <= high:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}: {value!r} is not {what} from {low:g} to {high:g}")


def _check_rate(name: str, value: str) -> None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name}: {value!r} is not a rate; write e.g. '600/hour' or '10/second;600/hour'"
        ) from None


# --- sources ------------------------------------------------------------------------------------

#: How each setting is read from the environment (and which take lists), by its annotation.
FIELDS = fields_of(ProxyConfig)
_LISTS = {name for name, f in FIELDS.items() if f.kind is list}


def read_toml(path: str | Path) -> dict[str, Any]:
    """Settings from a TOML file: top-level keys, or a ``[proxy]`` table; dashes or underscores.

    TOML has no null: ``"none"`` gives an optional setting no value (no deadline, no limit), as
    ``none`` does in the environment."""
    document = read_document(path)
    where: tuple[str, ...] = ("proxy",) if "proxy" in document.data else ()
    table = document.table(where) if where else document.data
    out: dict[str, Any] = {}
    problems = []
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in FIELDS:
            close = difflib.get_close_matches(name, list(FIELDS), n=1)
            fix = f"did you mean {close[0]}?" if close else "remove it"
            problems.append(
                Problem.say(key, value, "not a corsight setting", fix, id=E_UNKNOWN,
                            source=document.source, line=document.line((*where, key)))
            )  # fmt: skip
            continue
        if name in _LISTS and isinstance(value, str):
            value = [value]
        elif FIELDS[name].optional and isinstance(value, str) and value.strip().lower() == "none":
            value = None
        out[name] = value
    if problems:
        raise ConfigError(problems)
    return out


def read_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from ``CORSIGHT_PROXY_<NAME>`` variables (lists comma-separated; ``none`` for
    no value)."""
    settings, problems = read_environment(
        os.environ if environ is None else environ, FIELDS, prefix=ENV_PREFIX, strict=True
    )
    if problems:
        raise ConfigError(problems)
    return settings


def build_config(*layers: Mapping[str, Any]) -> ProxyConfig:
    """A config from layers of settings, later layers winning. An empty list is skipped (a
    repeatable flag not given); ``None`` is a value (``none`` in a file or the environment), so
    a caller drops the flags it was not given."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key in _LISTS and value == ():
                continue
            merged[key] = value
    try:
        return ProxyConfig(**merged)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
