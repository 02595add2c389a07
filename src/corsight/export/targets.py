"""The export targets: which module renders which server, and the result of an export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corsight.errors import PolicyError
from corsight.export.model import Plan, build_plan
from corsight.policy import Policy


class ExportError(Exception):
    """The policy cannot be exported to this target exactly (one line, exit status 2)."""


@dataclass
class Exported:
    target: str
    filename: str
    content: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "filename": self.filename,
            "content": self.content,
            "notes": self.notes,
        }


Renderer = Callable[[Plan], Exported]


def _renderers() -> dict[str, Renderer]:
    from corsight.export import node, python, webservers

    return {
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

TARGETS = ("nginx", "apache", "caddy", "express", "django", "flask", "fastapi")


def export(policy: Policy, target: str) -> Exported:
    """``policy`` as a configuration for ``target`` (one of :data:`TARGETS`)."""
    renderers = _renderers()
    if target not in renderers:
        raise ExportError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    try:
        plan = build_plan(policy, portable=target not in PYTHON_TARGETS)
        exported = renderers[target](plan)
    except PolicyError as exc:
        raise ExportError(f"cannot export to {target}: {exc}") from None
    exported.notes[:0] = plan.notes
    return exported
