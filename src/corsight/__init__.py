"""corsight: CORS done right.

The core — :class:`Policy`, the server engine and the browser model — is pure Python with no
third-party dependency. Tools such as :func:`check` need the ``cli`` extra.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from corsight.errors import PolicyError

if TYPE_CHECKING:
    from corsight.check import CheckError, check
    from corsight.policy import Policy

__all__ = ["CheckError", "Policy", "PolicyError", "check"]
__version__ = "0.1.0"

# Imported on first use: the policy pulls in nothing heavy, `check` pulls in httpx.
_LAZY = {"Policy": "corsight.policy", "check": "corsight.check", "CheckError": "corsight.check"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'corsight' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Python binds a submodule on its package once it is loaded: ``import corsight.check``
    would make ``corsight.check`` the package ``corsight.check`` rather than the function
    exported above. That one binding is declined (the package stays in ``sys.modules``, where
    ``from corsight.check import …`` finds it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "check" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
