"""``corsight export`` without servers: the plan answers as the engine does, refusals are one
line with exit 2, and the CLI's --json, -o and --config work."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corsight import Policy
from corsight.cli import main
from corsight.engine import Engine
from corsight.export import TARGETS, ExportError, build_plan, export

POLICIES = {
    "listed": Policy(
        ["https://app.example.com", "null"],
        allow_methods=["GET", "PUT", "patch"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total"],
        allow_credentials=False,
    ),
    "patterns": Policy(
        ["https://*.example.com", "http://localhost:*", "https://*.example.org:8443"],
        allow_origin_regex=[r"https://app-[0-9]+\.example\.net"],
        allow_methods="*",
        allow_headers="*",
        allow_credentials=True,
        max_age=None,
        allow_private_network=True,
    ),
    "wildcard": Policy("*", allow_headers=["X-Token"], expose_headers=["X-Total"]),
    "no-methods": Policy(["https://app.example.com"], allow_methods=[]),
}
ORIGINS = [
    None,
    "https://app.example.com",
    "https://a.b.example.com",
    "https://example.com",
    "https://evil-example.com",
    "https://A.example.com",
    "http://localhost",
    "http://localhost:3000",
    "http://localhost:0300",
    "https://x.example.org:8443",
    "https://x.example.org",
    "https://app-12.example.net",
    "https://app-12.example.net.evil.com",
    "null",
    "https://app.example.com, https://evil.com",
]
PREFLIGHTS = [
    (None, None),
    ("GET", None),
    ("PUT", "x-token"),
    ("PUT", "content-type,x-token"),
    ("PUT", " X-Token , ,accept"),
    ("patch", None),
    ("PATCH", None),
    ("DELETE", "x-other"),
    ("GET", "x-token,x-other"),
    ("bad method", None),
]


def normalized(headers: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return sorted((n.lower(), v) for n, v in headers if n.lower() != "content-type")


@pytest.mark.parametrize("name", POLICIES)
def test_plan_answers_as_the_engine(name: str) -> None:
    """Every target carries out the plan; the plan must answer every request as the engine."""
    policy = POLICIES[name]
    engine, plan = Engine(policy), build_plan(policy)
    for origin, (acrm, acrh), method, pna in itertools.product(
        ORIGINS, PREFLIGHTS, ("GET", "OPTIONS"), (False, True)
    ):
        if pna and acrm is None:
            continue
        decision = engine.decide(
            method=method,
            origin=origin,
            request_method=acrm,
            request_headers=acrh,
            request_private_network=pna,
        )
        status, headers, vary = plan.respond(method, origin, acrm, acrh, pna)
        where = (name, method, origin, acrm, acrh, pna)
        assert status == decision.status, where
        if decision.status == 204 and acrh and policy.allow_headers == ("*",):
            # The engine lowercases and trims the reflected list; servers echo it as sent
            # (browsers send it lowercase, comma-separated, so both are the same there).
            headers = [
                (n, ",".join(i.strip() for i in v.lower().split(",") if i.strip()))
                if n == "Access-Control-Allow-Headers"
                else (n, v)
                for n, v in headers
            ]
        assert normalized(headers) == normalized(decision.headers), where
        assert vary == decision.vary, where


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", POLICIES)
def test_every_target_exports_every_policy(target: str, name: str) -> None:
    exported = export(POLICIES[name], target)
    assert exported.content.strip()
    assert exported.target == target and exported.filename


def test_star_with_credentials_is_never_emitted() -> None:
    for target in TARGETS:
        content = export(POLICIES["patterns"], target).content
        assert "Allow-Origin *" not in content and 'Allow-Origin "*"' not in content


@pytest.mark.parametrize(
    ("regex", "why"),
    [
        (r"https://(?=a)a\.com", "(?"),
        (r"https://(?P<n>a)\.com", "(?"),
        (r"https://a\.com\Z", "\\Z"),
        (r"https://(a)\1\.com", "\\1"),
    ],
)
def test_regexes_the_servers_cannot_read_are_refused(regex: str, why: str) -> None:
    policy = Policy(allow_origin_regex=regex)
    for target in ("nginx", "apache", "caddy", "express"):
        with pytest.raises(ExportError, match="cannot export") as info:
            export(policy, target)
        assert why in str(info.value) and "\n" not in str(info.value)
    assert "allow_origin_regex" in export(policy, "flask").content  # corsight itself reads it


def test_callback_policies_are_refused() -> None:
    policy = Policy(["https://a.com"], allow_origin_callback=lambda origin: True)
    with pytest.raises(ExportError, match="callback"):
        export(policy, "nginx")


def test_nginx_quotes_regexes_and_uses_always() -> None:
    content = export(POLICIES["patterns"], "nginx").content
    assert r"\\.example\\.com" in content  # nginx turns \\ into \ inside quotes
    assert all(line.endswith(" always;") for line in content.splitlines() if line.startswith("add_header"))


# --- the command line -------------------------------------------------------------------------


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["export", *args])


def test_cli_prints_the_config_and_notes() -> None:
    result = run("--to", "nginx", "--allow-origin", "https://app.example.com", "--allow-header", "X-Token")
    assert result.exit_code == 0, result.output
    assert "add_header Access-Control-Allow-Origin" in result.output


def test_cli_json() -> None:
    result = run("--to", "express", "--allow-origin", "https://*.example.com", "--json")
    data = json.loads(result.output)
    assert data["target"] == "express" and data["filename"] == "corsight-cors.js"
    assert 'require("cors")' in data["content"] and data["notes"]


def test_cli_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "cors.caddy"
    result = run("--to", "caddy", "--allow-origin", "https://a.com", "-o", str(out))
    assert result.exit_code == 0
    assert "@corsight_preflight_ok" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "nginx", "--allow-origin", "*", "--allow-credentials"], "allow_credentials"),
        (["--to", "nginx"], "no origin allowed"),
        (["--to", "caddy", "--allow-origin-regex", r"https://(?=x)a\.com"], "(?"),
        (["--to", "nginx", "--allow-origin", "https://a.com/"], "ends with '/'"),
    ],
)
def test_cli_refuses_with_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corsight export: error:") and message in lines[0]


def test_cli_config_file(tmp_path: Path) -> None:
    config = tmp_path / "corsight.toml"
    config.write_text('allow_origins = ["https://app.example.com"]\nallow_methods = ["GET", "PUT"]\n')
    result = run("--to", "apache", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "GET, PUT" in result.output and "RewriteRule ^ - [R=204,L]" in result.output
    both = run("--to", "apache", "--config", str(config), "--allow-origin", "https://b.com")
    assert both.exit_code == 2
