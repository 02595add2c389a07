"""The export targets: which module renders which server."""

from __future__ import annotations

from collections.abc import Callable

from corsight.errors import PolicyError
from corsight.export import node, python, webservers
from corsight.export.model import Plan, build_plan
from corsight.export.result import Exported, ExportError
from corsight.policy import Policy

Renderer = Callable[[Plan], Exported]

RENDERERS: dict[str, Renderer] = {
    "nginx": webservers.nginx,
    "apache": webservers.apache,
    "caddy": webservers.caddy,
    "express": node.express,
    "django": python.django,
    "flask": python.flask,
    "fastapi": python.fastapi,
}

#: Targets that run corsight itself: user regexes stay in Python's dialect.
PYTHON_TARGETS = frozenset({"django", "flask", "fastapi"})

TARGETS = tuple(RENDERERS)


def export(policy: Policy, target: str) -> Exported:
    """``policy`` as a configuration for ``target`` (one of :data:`TARGETS`)."""
    if target not in RENDERERS:
        raise ExportError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    try:
        plan = build_plan(policy, portable=target not in PYTHON_TARGETS)
        exported = RENDERERS[target](plan)
    except PolicyError as exc:
        raise ExportError(f"cannot export to {target}: {exc}") from None
    exported.notes[:0] = plan.notes
    return exported
