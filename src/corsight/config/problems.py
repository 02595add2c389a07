"""The ids of configuration problems, stable across releases (Django's system checks show them
as ``corsight.E001``), and the step that gives a Policy's problems their id and source."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from corsight.errors import Problem

#: One id per setting of the Policy.
IDS = {
    "allow_origins": "E001",
    "allow_origin_regex": "E002",
    "allow_methods": "E003",
    "allow_headers": "E004",
    "expose_headers": "E005",
    "allow_credentials": "E006",
    "max_age": "E007",
    "allow_private_network": "E008",
    "allow_origin_callback": "E009",
    "origin_cache_size": "E009",
    "origin_cache_ttl": "E009",
}
E_COMBINATION = "E010"  # settings that are fine alone but not together (credentials with any origin)
E_UNKNOWN = "E011"  # a setting name that does not exist (a typo)
E_ROUTES = "E012"  # a route key or route table that cannot be used
E_TYPE = "E013"  # a container of settings of the wrong type
E_PREFIX_REGEX = "E014"  # a regex another library matched as a prefix (re.match)
E_CONFLICT = "E015"  # one setting given twice, under two names
E_UNREADABLE = "E016"  # a file that cannot be read or parsed

# Warnings of the Django integration.
W_IGNORED = "W001"  # CORS_* settings next to CORSIGHT
W_NO_SETTINGS = "W002"  # nothing configured: every cross-origin request is denied
W_NOT_INSTALLED = "W003"  # the app is installed but the middleware is not
W_ORDER = "W004"  # the middleware comes after one that can answer first
W_TWO_MIDDLEWARES = "W005"  # django-cors-headers' middleware is still there


def identified(problems: Iterable[Problem], name: Callable[[str], str], source: str = "") -> list[Problem]:
    """A Policy's problems with their id, the setting named as the user wrote it
    (``CORSIGHT_ALLOW_ORIGINS``, ``CORS_ALLOWED_ORIGINS``) and their source."""
    return [
        dataclasses.replace(
            problem,
            id=E_COMBINATION if problem.involves else IDS.get(problem.setting, E_TYPE),
            setting=name(problem.setting) if problem.setting else "",
            source=source or problem.source,
        )
        for problem in problems
    ]


def without_repeats(problems: list[Problem]) -> list[Problem]:
    """``problems`` with each one once: the same problem is met again when a setting is
    inherited by several routes."""
    return list({(p.id, p.setting, p.problem, repr(p.value)): p for p in problems}.values())
