"""corsight.django: the middleware (sync and async), settings in CORSIGHT or django-cors-headers'
CORS_*, system checks for every id, start-up errors, and the same browser-visible outcome as
django-cors-headers for its safe settings."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.checks import run_checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402

from corsight import Policy  # noqa: E402
from corsight.config.django_settings import from_cors_headers, read  # noqa: E402
from corsight.routing import Router  # noqa: E402
from corsight.testing import assert_cors_allowed, assert_cors_blocked, cors_fetch  # noqa: E402

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
ROOT = Path(__file__).resolve().parents[2]
CORSIGHT_MIDDLEWARE = [
    "corsight.django.middleware.CORSMiddleware",
    "django.middleware.common.CommonMiddleware",
]
CORSHEADERS_MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
]


def client() -> Client:
    return Client(raise_request_exception=False)


# --- the middleware ---------------------------------------------------------------------------------------


def test_preflight_credentials_custom_header_and_vary() -> None:
    c = client()
    result = assert_cors_allowed(
        c, "/api/items", origin=APP, method="PUT", headers={"X-Token": "t"},
        credentials="include", readable_headers=["X-Total"],
    )  # fmt: skip
    assert result.preflighted
    assert_cors_blocked(c, "/api/items", origin=EVIL, method="PUT", headers={"X-Token": "t"})
    assert_cors_blocked(c, "/api/items", origin=EVIL)
    response = c.get("/api/items", headers={"Origin": APP})
    assert response["Vary"] == "Accept-Encoding, Origin"
    assert response["Access-Control-Allow-Origin"] == APP


def test_error_responses_keep_their_cors_headers() -> None:
    c = client()
    for path, status in (("/api/missing", 404), ("/api/boom", 500), ("/no/route", 404)):
        response = c.get(path, headers={"Origin": APP})
        assert response.status_code == status, path
        assert response["Access-Control-Allow-Origin"] == APP
        assert_cors_allowed(c, path, origin=APP, credentials="include")


def test_async_middleware_chain() -> None:
    app = get_asgi_application()
    result = assert_cors_allowed(
        app, "/api/async", origin=APP, method="PUT", headers={"X-Token": "t"}, credentials="include"
    )
    assert result.preflighted
    assert_cors_blocked(app, "/api/async", origin=EVIL)

    async def run() -> Any:
        return await AsyncClient().get("/api/items", headers={"Origin": APP})

    with ThreadPoolExecutor(1) as pool:  # a thread of its own: Playwright may run a loop here
        response = pool.submit(asyncio.run, run()).result()
    assert response["Access-Control-Allow-Origin"] == APP and response["Vary"] == "Accept-Encoding, Origin"


async def tenant_allowed(origin: str) -> bool:
    await asyncio.sleep(0)
    return origin == "https://tenant.example.org"


def test_async_origin_callback_needs_async_django() -> None:
    with override_settings(CORSIGHT={"allow_origin_callback": "tests.adapters.test_django:tenant_allowed"}):
        assert_cors_allowed(get_asgi_application(), "/api/async", origin="https://tenant.example.org")
        assert_cors_blocked(get_asgi_application(), "/api/async", origin=APP)
        with pytest.raises(ImproperlyConfigured, match="is async, but this Django runs its middleware"):
            get_wsgi_application()


def test_routes_from_corsight_setting() -> None:
    settings = {"allow_origins": [APP], "routes": {"/public": {"enabled": False}}}
    with override_settings(CORSIGHT=settings):
        c = client()
        assert_cors_allowed(c, "/api/items", origin=APP)
        assert_cors_blocked(c, "/public", origin=APP)
        assert "Vary" not in c.get("/public", headers={"Origin": APP})


def test_bad_settings_stop_the_app_at_start_up_with_every_problem() -> None:
    bad = {"allow_origins": ["https://a.com/"], "max_age": -1}
    with override_settings(CORSIGHT=bad), pytest.raises(ImproperlyConfigured) as info:
        get_wsgi_application()
    text = str(info.value)
    assert "CORS configuration has 2 problems" in text
    assert (
        "CORSIGHT.allow_origins: 'https://a.com/' ends with '/'; browsers send the origin with no path"
        in text
    )
    assert "CORSIGHT.max_age: -1 is out of range" in text


# --- system checks: every id ------------------------------------------------------------------------------

CHECKS: list[tuple[str, dict[str, Any], str]] = [
    (
        "corsight.E001",
        {"CORSIGHT": {"allow_origins": ["https://a.com/"]}},
        "CORSIGHT.allow_origins: 'https://a.com/' ends with '/'",
    ),
    ("corsight.E002", {"CORSIGHT": {"allow_origin_regex": "https://a.example.com"}}, "unescaped '.'"),
    ("corsight.E003", {"CORSIGHT": {"allow_methods": ["TRACE"]}}, "browsers never send TRACE"),
    ("corsight.E004", {"CORSIGHT": {"allow_headers": ["Cookie"]}}, "script can never send 'Cookie'"),
    ("corsight.E005", {"CORSIGHT": {"expose_headers": "X-Total"}}, "pass a list"),
    ("corsight.E006", {"CORSIGHT": {"allow_credentials": "yes"}}, "expected True or False"),
    ("corsight.E007", {"CORSIGHT": {"max_age": 10**6}}, "out of range"),
    ("corsight.E008", {"CORSIGHT": {"allow_private_network": 1}}, "expected True or False"),
    ("corsight.E009", {"CORSIGHT": {"allow_origin_callback": 42}}, "is not callable"),
    (
        "corsight.E010",
        {"CORSIGHT": {"allow_origins": "*", "allow_credentials": True}},
        "would let every website read",
    ),
    ("corsight.E011", {"CORSIGHT": {"alow_origins": [APP]}}, "CORSIGHT.alow_origins"),
    ("corsight.E012", {"CORSIGHT": {"routes": {"api": {}}}}, "is not a route key"),
    ("corsight.E013", {"CORSIGHT": [APP]}, "CORSIGHT: ['https://app.example.com'] must be a dict"),
    (
        "corsight.E014",
        {"CORSIGHT": None, "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://\w+\.example\.com"]},
        "re.match",
    ),
    (
        "corsight.E015",
        {"CORSIGHT": None, "CORS_ALLOWED_ORIGINS": [APP], "CORS_ORIGIN_WHITELIST": [APP]},
        "old name",
    ),
    (
        "corsight.E010",
        {"CORSIGHT": None, "CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOW_CREDENTIALS": True},
        "CORS_ALLOW_ALL_ORIGINS: True with CORS_ALLOW_CREDENTIALS",
    ),
    ("corsight.W001", {"CORS_ALLOWED_ORIGINS": [APP]}, "are ignored: CORSIGHT is set"),
    ("corsight.W002", {"CORSIGHT": None}, "every cross-origin request is denied"),
    ("corsight.W003", {"MIDDLEWARE": ["django.middleware.common.CommonMiddleware"]}, "is not in MIDDLEWARE"),
    (
        "corsight.W004",
        {"MIDDLEWARE": CORSIGHT_MIDDLEWARE[::-1]},
        "comes after django.middleware.common.CommonMiddleware",
    ),
    (
        "corsight.W005",
        {"MIDDLEWARE": [*CORSIGHT_MIDDLEWARE, "corsheaders.middleware.CorsMiddleware"]},
        "still in MIDDLEWARE",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "settings", "text"), CHECKS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CHECKS)]
)
def test_system_check_ids(check_id: str, settings: dict[str, Any], text: str) -> None:
    with override_settings(**settings):
        messages = run_checks(tags=["corsight"])
    found = [m for m in messages if m.id == check_id]
    assert found, messages
    assert any(text in f"{m.msg} {m.hint}" for m in found), [(m.msg, m.hint) for m in found]
    assert all(m.hint for m in found), found
    assert [m for m in messages if m.id != check_id] == [], messages


def test_clean_settings_pass_the_checks() -> None:
    assert run_checks(tags=["corsight"]) == []


def test_manage_py_check_reports_every_problem() -> None:
    bad = {"allow_origins": ["https://a.com/", "*"], "allow_credentials": True, "max_age": -1}
    with override_settings(CORSIGHT=bad), pytest.raises(SystemCheckError) as info:
        call_command("check")
    text = str(info.value)
    assert "(corsight.E001) CORSIGHT.allow_origins: 'https://a.com/' ends with '/'" in text
    assert "HINT: browsers send the origin with no path; write 'https://a.com'" in text
    assert "(corsight.E007)" in text


def test_manage_py_check_in_a_process(tmp_path: Path) -> None:
    settings = tmp_path / "bad_settings.py"
    settings.write_text(
        "from tests.django_project.settings import *  # noqa\n"
        "CORSIGHT = None\n"
        "CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bad_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests/django_project/manage.py"), "check"],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "(corsight.E010) CORS_ALLOW_ALL_ORIGINS: True with CORS_ALLOW_CREDENTIALS = True" in result.stderr
    assert (
        "HINT: list your front ends in CORS_ALLOWED_ORIGINS and remove CORS_ALLOW_ALL_ORIGINS"
        in result.stderr
    )


# --- reading django-cors-headers settings -----------------------------------------------------------------


def test_cors_headers_defaults_and_names() -> None:
    loaded = from_cors_headers({"CORS_ALLOWED_ORIGINS": [APP], "CORS_PREFLIGHT_MAX_AGE": 0})
    assert loaded.problems == []
    assert isinstance(loaded.result, Router)
    policy = loaded.result.policy_for("/x")
    assert policy == Policy(
        [APP],
        allow_methods=["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"],
        allow_headers=[
            "accept",
            "authorization",
            "content-type",
            "user-agent",
            "x-csrftoken",
            "x-requested-with",
        ],
        max_age=None,
    )


def test_urls_regex_keeps_its_prefix_meaning() -> None:
    router = from_cors_headers({"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": r"^/api/"}).result
    assert isinstance(router, Router)
    assert router.policy_for("/api/items") is not None and router.policy_for("/api/") is not None
    assert router.policy_for("/apix") is None and router.policy_for("/public") is None
    compiled = from_cors_headers({"CORS_URLS_REGEX": re.compile(r"^/v\d+/")}).result
    assert isinstance(compiled, Router) and compiled.policy_for("/v2/x") is not None


def test_anchored_regexes_and_old_names() -> None:
    loaded = from_cors_headers(
        {"CORS_ORIGIN_REGEX_WHITELIST": [r"^https://\w+\.example\.com$"], "CORS_ORIGIN_ALLOW_ALL": False}
    )
    assert loaded.problems == []
    policy = loaded.result.policy_for("/") if isinstance(loaded.result, Router) else None
    assert policy is not None
    assert policy.allows_origin("https://a.example.com")
    assert not policy.allows_origin("https://a.example.com.attacker.net")


def test_cors_headers_problems_use_their_names() -> None:
    loaded = from_cors_headers(
        {
            "CORS_ALLOWED_ORIGINS": ["https://a.com/", "file://"],
            "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://x\.example\.com"],
            "CORS_ALLOW_METHODS": "GET",
            "CORS_PREFLIGHT_MAX_AGE": -1,
        }
    )
    by = {(p.setting, p.id) for p in loaded.problems}
    assert by == {
        ("CORS_ALLOWED_ORIGINS", "E001"),
        ("CORS_ALLOWED_ORIGIN_REGEXES", "E014"),
        ("CORS_ALLOW_METHODS", "E003"),
        ("CORS_PREFLIGHT_MAX_AGE", "E007"),
    }
    assert len(loaded.problems) == 5
    regex = next(p for p in loaded.problems if p.id == "E014")
    assert regex.fix == r"end it with '$' to say you mean the whole origin: '^https://x\\.example\\.com$'"


def test_read_prefers_corsight() -> None:
    class Settings:
        CORSIGHT: ClassVar[dict[str, Any]] = {"allow_origins": [APP]}
        CORS_ALLOWED_ORIGINS: ClassVar[list[str]] = [EVIL]

    loaded = read(Settings())
    assert [p.id for p in loaded.problems] == ["W001"]
    assert isinstance(loaded.result, Router)
    policy = loaded.result.policy_for("/")
    assert policy is not None and policy.allow_origins == (APP,)


# --- migration: django-cors-headers and corsight agree ------------------------------------------------------

SCENARIOS: list[dict[str, Any]] = [
    {"origin": APP},
    {"origin": EVIL},
    {"origin": APP, "method": "PUT", "headers": {"X-Token": "t"}, "credentials": "include"},
    {"origin": APP, "method": "PUT", "headers": {"Authorization": "Bearer x"}, "credentials": "include"},
    {"origin": EVIL, "method": "PUT", "headers": {"Authorization": "Bearer x"}},
    {"origin": APP, "method": "DELETE"},
    {"origin": APP, "headers": {"X-Other": "1"}},
    {"origin": "https://a.example.org", "credentials": "include"},
    {"origin": "https://a.example.org.attacker.net"},
]

CORS_HEADERS_SETTINGS: list[dict[str, Any]] = [
    {"CORS_ALLOWED_ORIGINS": [APP], "CORS_ALLOW_CREDENTIALS": True},
    {
        "CORS_ALLOWED_ORIGINS": [APP],
        "CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://\w+\.example\.org$"],
        "CORS_ALLOW_METHODS": ["GET", "PUT"],
        "CORS_ALLOW_HEADERS": ["x-token", "authorization"],
        "CORS_EXPOSE_HEADERS": ["X-Total"],
        "CORS_ALLOW_CREDENTIALS": True,
        "CORS_URLS_REGEX": r"^/api/",
    },
    {"CORS_ALLOW_ALL_ORIGINS": True},
]


@pytest.mark.parametrize("settings", CORS_HEADERS_SETTINGS)
def test_same_browser_outcome_as_django_cors_headers(settings: dict[str, Any]) -> None:
    pytest.importorskip("corsheaders")
    for path in ("/api/items", "/public"):
        for scenario in SCENARIOS:
            with override_settings(CORSIGHT=None, MIDDLEWARE=CORSHEADERS_MIDDLEWARE, **settings):
                before = cors_fetch(client(), path, **scenario)
            with override_settings(CORSIGHT=None, MIDDLEWARE=CORSIGHT_MIDDLEWARE, **settings):
                after = cors_fetch(client(), path, **scenario)
            assert before.allowed == after.allowed, (path, scenario, before.explain(), after.explain())
            if before.allowed:
                assert set(before.exposed_headers) == set(after.exposed_headers)
