"""What an export produces: the configuration file (:class:`Exported`), or the reason a target
cannot carry the policy out exactly (:class:`ExportError`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
