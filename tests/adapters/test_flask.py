"""corsight.flask: CORS(app) and @cors with flask-cors's option names, CORS_* config, start-up
errors with the fix, error responses that keep their CORS headers, and real Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, abort

from corsight import Policy
from corsight.config.flask_options import router_from_options, translate
from corsight.errors import ConfigError
from corsight.flask import CORS, FlaskCORSMiddleware, cors, cross_origin
from corsight.routing import Router
from corsight.testing import assert_cors_allowed, assert_cors_blocked, cors_fetch

APP = "https://app.example.com"
EVIL = "https://evil.example.net"


def make_app() -> Flask:
    app = Flask(__name__)

    @app.route("/api/items", methods=["GET", "PUT", "DELETE"])
    def items() -> tuple[dict[str, Any], int, dict[str, str]]:
        return {"ok": True}, 200, {"X-Total": "3"}

    @app.route("/api/missing")
    def missing() -> str:
        abort(404)

    @app.route("/api/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.route("/public")
    def public() -> str:
        return "public"

    return app


def problems(options: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        router_from_options(options, config)
    return [str(p) for p in info.value.problems]


# --- reading flask-cors options -------------------------------------------------------------------------


def test_flask_cors_names_map_onto_the_policy() -> None:
    settings, found = translate(
        {
            "origins": [APP, "https://*.example.org"],
            "methods": "GET, PUT",
            "allow_headers": "X-Token",
            "expose_headers": ["X-Total"],
            "supports_credentials": True,
            "max_age": timedelta(minutes=10),
            "allow_private_network": True,
            "send_wildcard": False,  # built in: accepted, ignored
        }
    )
    assert found == []
    assert settings == {
        "allow_origins": [APP, "https://*.example.org"],
        "allow_methods": ["GET", "PUT"],
        "allow_headers": ["X-Token"],
        "expose_headers": ["X-Total"],
        "allow_credentials": True,
        "max_age": 600,
        "allow_private_network": True,
    }


def test_defaults_are_flask_cors_defaults() -> None:
    policy = router_from_options({}).policy_for("/anything")
    assert policy is not None
    assert policy.allows_any_origin and not policy.allow_credentials
    assert policy.allow_headers == ("*",) and policy.max_age is None
    assert set(policy.allow_methods) == {"GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"}


def test_single_string_origin_is_one_origin() -> None:
    policy = router_from_options({"origins": APP}).policy_for("/")
    assert policy is not None and policy.allow_origins == (APP,)


def test_default_origins_with_credentials_is_refused_with_the_fix() -> None:
    (text,) = problems({"supports_credentials": True})
    assert text.startswith("origins: '*' (flask-cors's default) with supports_credentials=True")
    assert "lets any website read your users' data" in text
    assert "CORS(app, origins=['https://app.example.com'], supports_credentials=True)" in text
    (text,) = problems({"origins": "*", "supports_credentials": True})
    assert "'*' (given)" in text


def test_send_wildcard_with_credentials_is_refused() -> None:
    found = problems({"origins": [APP], "supports_credentials": True, "send_wildcard": True})
    assert found == [
        "send_wildcard: True with supports_credentials=True browsers reject "
        "'Access-Control-Allow-Origin: *'; remove send_wildcard"
    ]


def test_prefix_regex_origin_is_refused_and_anchored_one_full_matches() -> None:
    (text,) = problems({"origins": [r"https://.*\.example\.com"]})
    assert "flask-cors matched at the start of the origin only (re.match)" in text
    assert r"end it with '$' to say you mean the whole origin: 'https://.*\\.example\\.com$'" in text
    router = router_from_options(
        {"origins": [r"^https://[a-z]+\.example\.com$", re.compile(r"https://x\.org$")]}
    )
    policy = router.policy_for("/")
    assert policy is not None
    assert policy.allows_origin("https://a.example.com")
    assert not policy.allows_origin("https://a.example.com.attacker.net")
    assert policy.allows_origin("https://x.org")


def test_corsight_patterns_are_not_read_as_regexes() -> None:
    policy = router_from_options({"origins": ["https://*.example.com", "http://localhost:*"]}).policy_for("/")
    assert policy is not None
    assert policy.allows_origin("https://a.example.com") and policy.allows_origin("http://localhost:5173")
    assert not policy.allows_origin("http://localhost.attacker.net")


@pytest.mark.parametrize(
    ("key", "covered", "not_covered"),
    [
        (r"/api/*", ["/api", "/api/", "/api/items/1"], ["/apiary", "/other"]),
        (r"/api/.*", ["/api/items"], ["/apiary"]),
        (r"^/api/v1/users", ["/api/v1/users", "/api/v1/users/5"], ["/api/v1/usersX"]),
        (r"/api/v1/users$", ["/api/v1/users"], ["/api/v1/users/5"]),
        (r"/*", ["/", "/anything/at/all"], []),
        (re.compile(r"/v[0-9]+/items"), ["/v2/items"], ["/v2/items/3", "/x/v2/items"]),
    ],
)
def test_resources_keys_map_onto_router_keys(key: Any, covered: list[str], not_covered: list[str]) -> None:
    router = router_from_options({"resources": {key: {"origins": [APP]}}})
    for path in covered:
        assert router.policy_for(path) is not None, path
    for path in not_covered:
        assert router.policy_for(path) is None, path


def test_ambiguous_resource_regex_is_refused_with_the_fix() -> None:
    (text,) = problems({"resources": {r"/api/v[0-9]+/.*": {}}})
    assert text.startswith(
        "resources['/api/v[0-9]+/.*']: '/api/v[0-9]+/.*' is a regex that flask-cors matched"
    )
    assert "'/api' (the path and everything under it)" in text and "re.compile(r'...')" in text


def test_every_problem_at_once_named_as_written() -> None:
    found = problems(
        {"origins": ["https://a.com/"], "methodz": ["GET"], "resources": {r"/api/*": {"max_age": -1}}},
        {"CORS_EXPOSE_HEADERS": "*", "CORS_SUPPORTS_CREDENTIALS": True},
    )
    joined = "\n".join(found)
    assert "methodz: 'GET' not a CORS option; did you mean methods?" in joined or "methodz" in joined
    assert "origins: 'https://a.com/' ends with '/'" in joined
    assert "resources['/api/*'].max_age: -1 is out of range" in joined
    assert "CORS_EXPOSE_HEADERS: '*' with allow_credentials=True" in joined
    assert len(found) == 4, found


def test_corsight_and_flask_cors_names_for_the_same_setting_conflict() -> None:
    (text,) = problems({"origins": [APP], "allow_origins": [APP]})
    assert "sets the same thing as origins" in text


def test_app_config_is_read_and_kwargs_win() -> None:
    app = make_app()
    app.config.update(CORS_ORIGINS=[EVIL], CORS_SUPPORTS_CREDENTIALS=True, CORS_RESOURCES={r"/api/*": {}})
    CORS(app, origins=[APP])
    client = app.test_client()
    assert_cors_allowed(client, "/api/items", origin=APP, credentials="include")
    assert_cors_blocked(client, "/api/items", origin=EVIL)
    assert_cors_blocked(client, "/public", origin=APP)  # not under the resources


def test_misconfiguration_fails_at_init_app_not_at_request_time() -> None:
    app = make_app()
    app.config["CORS_SUPPORTS_CREDENTIALS"] = True
    with pytest.raises(ConfigError, match="origins: '\\*' \\(flask-cors's default\\)"):
        CORS(app)


# --- behaviour through the Flask test client -------------------------------------------------------------

CREDENTIALED = {"origins": [APP], "supports_credentials": True, "expose_headers": ["X-Total"]}


def test_preflight_credentials_custom_header_and_exposed_header() -> None:
    app = make_app()
    CORS(app, **CREDENTIALED)
    client = app.test_client()
    result = assert_cors_allowed(
        client, "/api/items", origin=APP, method="PUT", headers={"X-Token": "t"},
        credentials="include", readable_headers=["X-Total"],
    )  # fmt: skip
    assert result.preflighted
    assert_cors_blocked(client, "/api/items", origin=EVIL, method="PUT", headers={"X-Token": "t"})


def test_preflight_answered_for_a_path_flask_does_not_route() -> None:
    app = make_app()
    CORS(app, origins=[APP])
    response = app.test_client().options(
        "/no/such/route", headers={"Origin": APP, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP


def test_error_responses_keep_their_cors_headers() -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    CORS(app, **CREDENTIALED)
    client = app.test_client()
    for path, status in (("/api/missing", 404), ("/api/boom", 500)):
        response = client.get(path, headers={"Origin": APP})
        assert response.status_code == status
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert_cors_allowed(client, path, origin=APP, credentials="include")


def test_factory_pattern_and_policy_argument() -> None:
    extension = CORS(policy=Policy([APP], allow_methods=["GET", "PUT"]))
    app = make_app()
    extension.init_app(app)
    assert isinstance(app.wsgi_app, FlaskCORSMiddleware)
    assert app.extensions["corsight"] is extension
    assert isinstance(extension.router, Router)
    assert_cors_allowed(app.test_client(), "/api/items", origin=APP, method="PUT")
    with pytest.raises(RuntimeError, match="already set up"):
        CORS(app)
    with pytest.raises(TypeError, match="either policy= or options"):
        CORS(policy=Policy([APP]), origins=[APP])


# --- the per-view decorator -----------------------------------------------------------------------------


def decorated_app(with_extension: bool) -> Flask:
    app = Flask(__name__)

    @app.route("/special", methods=["PUT", "GET"])
    @cors(origins=["https://special.example.com"], supports_credentials=True)
    def special() -> str:
        return "special"

    @app.route("/special/missing")
    @cross_origin(origins=["https://special.example.com"])
    def special_missing() -> str:
        abort(410)

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    if with_extension:
        CORS(app, origins=[APP], supports_credentials=True)
    return app


@pytest.mark.parametrize("with_extension", [False, True])
def test_decorator_policy_for_one_view(with_extension: bool) -> None:
    client = decorated_app(with_extension).test_client()
    special = "https://special.example.com"
    assert_cors_allowed(client, "/special", origin=special, method="PUT", credentials="include")
    assert_cors_blocked(client, "/special", origin=APP, method="PUT", credentials="include")
    assert_cors_blocked(client, "/special", origin=APP)
    assert_cors_allowed(client, "/special/missing", origin=special)  # the 410 keeps its headers
    assert client.get("/special/missing", headers={"Origin": special}).status_code == 410
    plain = client.options("/special")  # an OPTIONS that is not a preflight: Flask's answer
    assert plain.status_code == 200 and "PUT" in plain.headers["Allow"]
    if with_extension:
        assert_cors_allowed(client, "/plain", origin=APP, credentials="include")
    else:
        assert_cors_blocked(client, "/plain", origin=APP)


def test_decorator_errors_at_import_time() -> None:
    with pytest.raises(ConfigError, match="supports_credentials"):
        cors(supports_credentials=True)
    with pytest.raises(TypeError, match="resources"):
        cors(resources={"/x": {}})


# --- migration: flask-cors and corsight agree for safe settings ----------------------------------------

SCENARIOS: list[dict[str, Any]] = [
    {"origin": APP},
    {"origin": EVIL},
    {"origin": APP, "method": "PUT", "headers": {"X-Token": "t"}, "credentials": "include"},
    {"origin": EVIL, "method": "PUT", "headers": {"X-Token": "t"}, "credentials": "include"},
    {"origin": APP, "method": "DELETE", "credentials": "include"},
    {"origin": APP, "method": "PATCH"},
    {"origin": APP, "headers": {"X-Other": "1"}},
    {"origin": "https://a.example.org", "credentials": "include"},
]


@pytest.mark.parametrize(
    "options",
    [
        {"origins": [APP, r"https://[a-z]+\.example\.org$"], "supports_credentials": True,
         "methods": ["GET", "PUT", "DELETE"], "allow_headers": ["X-Token"]},
        {"resources": {r"/api/*": {"origins": [APP]}}},
        {"origins": "*"},
    ],
)  # fmt: skip
def test_same_browser_outcome_as_flask_cors(options: dict[str, Any]) -> None:
    flask_cors = pytest.importorskip("flask_cors")
    theirs, ours = make_app(), make_app()
    flask_cors.CORS(theirs, **options)
    CORS(ours, **options)
    for scenario in SCENARIOS:
        before = cors_fetch(theirs.test_client(), "/api/items", **scenario)
        after = cors_fetch(ours.test_client(), "/api/items", **scenario)
        assert before.allowed == after.allowed, (scenario, before.explain(), after.explain())
        if before.allowed:
            assert set(before.exposed_headers) == set(after.exposed_headers)
