"""corsight: CORS done right.

The core — :class:`Policy`, the server engine and the browser model — is pure Python with no
third-party dependency. Tools such as :func:`check` need the ``cli`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corsight.errors import PolicyError

if TYPE_CHECKING:
    from corsight.check import CheckError, check

__all__ = ["CheckError", "Policy", "PolicyError", "check"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Imported lazily: the policy pulls in nothing heavy, `check` pulls in httpx.
    if name == "Policy":
        from corsight.policy import Policy

        return Policy
    if name in ("check", "CheckError"):
        import importlib

        return getattr(importlib.import_module("corsight.check"), name)
    raise AttributeError(f"module 'corsight' has no attribute {name!r}")
