"""``corsight export``: one Policy as a ready configuration for nginx, Apache httpd, Caddy,
Express (the ``cors`` package), Django, Flask and FastAPI.

:mod:`~corsight.export.model` derives what to emit from the engine; one module per target
family renders it. A policy a target cannot carry out exactly is refused with
:class:`ExportError`, never exported as a config that behaves differently.
"""

from corsight.export.model import Header, Plan, PlannedResponse, build_plan
from corsight.export.result import Exported, ExportError
from corsight.export.targets import TARGETS, export

__all__ = ["TARGETS", "ExportError", "Exported", "Header", "Plan", "PlannedResponse", "build_plan", "export"]
