"""``corsight ui``: a local web page over :func:`corsight.check` and the browser model.

:mod:`~corsight.ui.app` is the Starlette app and its guards, :mod:`~corsight.ui.live` serves the
live-test frame on the chosen loopback origin, :mod:`~corsight.ui.server` binds and runs it,
:mod:`~corsight.ui.cli` is the ``corsight ui`` command. Needs the ``ui`` extra (Starlette
and uvicorn), which is imported only when the UI is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corsight.ui.server import UIServer

__all__ = ["UIServer"]


def __getattr__(name: str) -> Any:
    if name == "UIServer":
        from corsight.ui.server import UIServer

        return UIServer
    raise AttributeError(f"module 'corsight.ui' has no attribute {name!r}")
