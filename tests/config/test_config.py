"""corsight.config: Policy/Router from TOML files and CORSIGHT_* variables, every problem at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corsight import Policy, PolicyError
from corsight.config import ConfigError, analyze_config, build_policy, from_env, from_mapping, load
from corsight.routing import Router

ORIGIN = "https://app.example.com"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_corsight_toml_gives_a_policy(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "corsight.toml",
        f"""
allow_origins = ["{ORIGIN}", "https://*.example.org"]
allow_methods = ["GET", "PUT"]
allow_headers = ["X-Token"]
allow_credentials = true
max_age = 300
""",
    )
    policy = load(path, env={})
    assert isinstance(policy, Policy)
    assert policy == Policy(
        [ORIGIN, "https://*.example.org"],
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        allow_credentials=True,
        max_age=300,
    )


def test_routes_inherit_top_level_and_can_be_disabled(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "corsight.toml",
        f"""
allow_origins = ["{ORIGIN}"]
allow_credentials = true

[routes."/public/"]
allow_origins = "*"
allow_credentials = false

[routes."/admin"]
enabled = false

[routes."re:/v[0-9]+/items"]
allow_methods = ["DELETE"]
""",
    )
    router = load(path, env={})
    assert isinstance(router, Router)
    public = router.policy_for("/public/feed")
    assert public is not None and public.allows_any_origin and not public.allow_credentials
    assert router.policy_for("/admin") is None and router.policy_for("/admin/users") is None
    v2 = router.policy_for("/v2/items")
    assert v2 is not None and v2.allow_methods == ("DELETE",) and v2.allow_credentials
    assert v2.allow_origins == (ORIGIN,)
    assert router.policy_for("/v2/items/7") == router.policy_for("/other")  # regex full-matches
    other = router.policy_for("/other")
    assert other is not None and other.allow_origins == (ORIGIN,)


def test_only_routes_leaves_other_paths_without_cors(tmp_path: Path) -> None:
    path = write(tmp_path, "corsight.toml", f'[routes."/api/"]\nallow_origins = ["{ORIGIN}"]\n')
    router = load(path, env={})
    assert isinstance(router, Router)
    assert router.policy_for("/api/x") is not None
    assert router.policy_for("/elsewhere") is None


def test_pyproject_tool_corsight(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        f'[project]\nname = "x"\n\n[tool.corsight]\nallow_origins = ["{ORIGIN}"]\n',
    )
    assert load(path, env={}) == Policy([ORIGIN])


def test_discovery_prefers_corsight_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pyproject.toml", '[tool.corsight]\nallow_origins = ["https://py.example.com"]\n')
    monkeypatch.chdir(tmp_path)
    assert load(env={}) == Policy(["https://py.example.com"])
    write(tmp_path, "corsight.toml", f'allow_origins = ["{ORIGIN}"]\n')
    assert load(env={}) == Policy([ORIGIN])


def test_pyproject_without_table_is_not_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load(env={})
    assert info.value.unreadable
    assert "none found" in str(info.value)


def test_corsight_config_variable_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "cors.toml", f'allow_origins = ["{ORIGIN}"]\n')
    assert load(env={"CORSIGHT_CONFIG": str(path)}) == Policy([ORIGIN])


# --- environment -------------------------------------------------------------------------------------


def test_environment_twelve_factor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "CORSIGHT_ALLOW_ORIGINS": "https://a.com, https://b.com",
        "CORSIGHT_ALLOW_CREDENTIALS": "true",
        "CORSIGHT_ALLOW_METHODS": "GET,PUT",
        "CORSIGHT_ALLOW_HEADERS": "*",
        "CORSIGHT_EXPOSE_HEADERS": "X-Total",
        "CORSIGHT_MAX_AGE": "none",
        "CORSIGHT_ALLOW_PRIVATE_NETWORK": "off",
        "CORSIGHT_ALLOW_ORIGIN_REGEX": r"https://[a-z]{1,8}\.example\.net  https://x\.example\.org",
        "CORSIGHT_ORIGIN_CACHE_TTL": "2.5",
        "CORSIGHT_REQUIRE_BROWSER": "1",  # not a setting, not close to one: ignored
        "PATH": "/usr/bin",
    }
    policy = load(env=env)
    assert policy == Policy(
        ["https://a.com", "https://b.com"],
        allow_credentials=True,
        allow_methods=["GET", "PUT"],
        allow_headers="*",
        expose_headers=["X-Total"],
        max_age=None,
        allow_origin_regex=[r"https://[a-z]{1,8}\.example\.net", r"https://x\.example\.org"],
        origin_cache_ttl=2.5,
    )


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "corsight.toml", 'allow_origins = ["https://old.example.com"]\nmax_age = 60\n')
    policy = load(path, env={"CORSIGHT_ALLOW_ORIGINS": ORIGIN})
    assert policy == Policy([ORIGIN], max_age=60)


def test_environment_problems_name_the_variable() -> None:
    settings, problems = from_env(
        {
            "CORSIGHT_ALLOW_CREDENTIALS": "maybe",
            "CORSIGHT_MAX_AGE": "ten",
            "CORSIGHT_ALLOW_ORIGIN": ORIGIN,
        }
    )
    assert settings == {}
    by_setting = {p.setting: p for p in problems}
    assert by_setting["CORSIGHT_ALLOW_CREDENTIALS"].message == "expected true or false"
    assert by_setting["CORSIGHT_MAX_AGE"].fix.startswith("write whole seconds")
    assert by_setting["CORSIGHT_ALLOW_ORIGIN"].fix == "did you mean CORSIGHT_ALLOW_ORIGINS?"
    assert all(p.source == "environment" for p in problems)


def test_env_wildcard_with_credentials_names_the_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load(env={"CORSIGHT_ALLOW_ORIGINS": "*", "CORSIGHT_ALLOW_CREDENTIALS": "1"})
    (problem,) = info.value.problems
    assert problem.id == "E010"
    assert problem.setting == "CORSIGHT_ALLOW_ORIGINS"
    assert problem.source == "environment"
    assert "list the origins" in problem.fix


# --- every problem at once ---------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_fix() -> None:
    loaded = from_mapping(
        {
            "allow_origins": ["https://a.com/", "ftp://b.com", "https://ok.example.com"],
            "allow_methods": ["GET", "TRACE"],
            "allow_headers": ["Cookie"],
            "max_age": -5,
            "allow_credentials": "yes",
            "alow_origin_regex": "x",
        },
        source="corsight.toml",
    )
    assert loaded.result is None
    found = {(p.id, p.setting, str(p.value)) for p in loaded.problems}
    assert found == {
        ("E001", "allow_origins", "https://a.com/"),
        ("E001", "allow_origins", "ftp://b.com"),
        ("E003", "allow_methods", "TRACE"),
        ("E004", "allow_headers", "Cookie"),
        ("E007", "max_age", "-5"),
        ("E006", "allow_credentials", "yes"),
        ("E011", "alow_origin_regex", "x"),
    }
    assert all(p.fix for p in loaded.problems), loaded.problems
    assert all(p.source == "corsight.toml" for p in loaded.problems)
    typo = next(p for p in loaded.problems if p.id == "E011")
    assert typo.fix == "did you mean allow_origin_regex?"


def test_combination_errors_are_all_found() -> None:
    policy, problems = build_policy({"allow_origins": "*", "allow_credentials": True, "expose_headers": "*"})
    assert policy is None
    assert [(p.id, p.setting) for p in problems] == [("E010", "allow_origins"), ("E010", "expose_headers")]


def test_config_error_message_lists_every_problem() -> None:
    loaded = from_mapping({"allow_origins": ["https://a.com/"], "max_age": "ten"})
    error = ConfigError(loaded.problems)
    text = str(error)
    assert text.startswith("CORS configuration has 2 problems:")
    assert "allow_origins: 'https://a.com/' ends with '/'; browsers send the origin with no path" in text
    assert "max_age: 'ten' is out of range" in text
    assert isinstance(error, PolicyError)


def test_route_problems_name_the_route() -> None:
    loaded = from_mapping(
        {
            "allow_origins": [ORIGIN],
            "allow_credentials": True,
            "routes": {
                "/pub/": {"allow_origins": "*"},
                "api": {"allow_origins": [ORIGIN]},
                "re:/v[": {},
                "/x": "not a table",
                "/y": {"enabled": "no"},
            },
        }
    )
    by_setting = {p.setting: p for p in loaded.problems}
    assert by_setting['routes."/pub/".allow_origins'].id == "E010"
    assert by_setting['routes."api"'].id == "E012"
    assert "start it with '/'" in by_setting['routes."api"'].fix
    assert by_setting['routes."re:/v["'].id == "E012"
    assert by_setting['routes."/x"'].id == "E013"
    assert by_setting['routes."/y".enabled'].id == "E013"


def test_inherited_problem_reported_once() -> None:
    loaded = from_mapping({"max_age": -1, "routes": {"/a/": {}, "/b/": {"allow_methods": ["PUT"]}}})
    assert [p.setting for p in loaded.problems] == ["max_age"]


def test_origin_callback_by_import_path() -> None:
    loaded = from_mapping({"allow_origin_callback": "tests.config.test_config:allow_tenant"})
    assert isinstance(loaded.result, Policy)
    assert loaded.result.allow_origin_callback is allow_tenant
    bad = from_mapping({"allow_origin_callback": "tests.nope:f"})
    assert bad.problems[0].id == "E009" and "cannot be imported" in bad.problems[0].message
    assert from_mapping({"allow_origin_callback": "no_colon"}).problems[0].fix.startswith("write 'package")


def allow_tenant(origin: str) -> bool:
    return bool(re.fullmatch(r"https://[a-z]+\.tenants\.example\.com", origin))


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "missing.toml", env={})
    assert info.value.unreadable and "cannot be read" in str(info.value)
    bad = write(tmp_path, "corsight.toml", "allow_origins = [\n")
    with pytest.raises(ConfigError) as info:
        load(bad, env={})
    assert info.value.unreadable and "is not valid TOML" in str(info.value)
    no_table = write(tmp_path, "pyproject.toml", "[project]\n")
    with pytest.raises(ConfigError) as info:
        load(no_table, env={})
    assert "has no [tool.corsight] table" in str(info.value)


def test_analyze_keeps_warnings_apart(tmp_path: Path) -> None:
    path = write(tmp_path, "corsight.toml", f'allow_origins = ["{ORIGIN}"]\n')
    loaded = analyze_config(path, env={})
    assert loaded.errors == [] and loaded.sources == [str(path)]
    assert loaded.result == Policy([ORIGIN])
