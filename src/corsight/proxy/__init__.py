"""``corsight proxy``: a CORS proxy for APIs you cannot change, safe against request forgery.

Open mode (``GET /https://api.example.com/path``) or upstream mode (every path to one
configured upstream), as one ASGI application::

    from corsight.proxy import ProxyConfig, create_app
    app = create_app(ProxyConfig(allow_origins=["https://app.example.com"],
                                 upstream="http://localhost:5000"))

CORS decisions come from :class:`corsight.engine.Engine`; this package owns where the proxy
may connect (:mod:`.targets`), which headers cross (:mod:`.headers`) and the I/O.
Needs the ``proxy`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corsight.errors import ConfigError
from corsight.proxy.config import ProxyConfig, build_config, read_env, read_toml

if TYPE_CHECKING:
    from corsight.proxy.app import ProxyApp, create_app

__all__ = ["ConfigError", "ProxyApp", "ProxyConfig", "build_config", "create_app", "read_env", "read_toml"]


def __getattr__(name: str) -> Any:
    # The app pulls in aiohttp; importing the config (as the CLI does for --help) must not.
    if name in ("ProxyApp", "create_app"):
        from corsight.proxy import app

        return getattr(app, name)
    raise AttributeError(f"module 'corsight.proxy' has no attribute {name!r}")
