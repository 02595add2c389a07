"""Configuration: a :class:`~corsight.policy.Policy` or :class:`~corsight.routing.Router` from a
TOML file (``corsight.toml`` or ``[tool.corsight]`` in ``pyproject.toml``), from ``CORSIGHT_*``
environment variables, or from another library's settings, with every problem reported at once,
each with its id, where it is written and its fix.

- :mod:`~corsight.config.loading` — files and the environment → a Policy or Router
  (:func:`load`, :func:`analyze_config`, :func:`from_mapping`, :func:`discover`);
- :mod:`~corsight.config.toml` — reading TOML, the line of each key, TOML syntax in problems;
- :mod:`~corsight.config.environment` — typed environment variables (also the proxy's);
- :mod:`~corsight.config.problems` — the problems' stable ids;
- :mod:`~corsight.config.migration` — the rules for settings written for flask-cors and
  django-cors-headers, used by :mod:`~corsight.config.flask_options` and
  :mod:`~corsight.config.django_settings`;
- :mod:`~corsight.config.lint` — the ``corsight lint`` command.

A problem is a :class:`~corsight.errors.Problem`; :func:`load` raises
:class:`~corsight.errors.ConfigError`.
"""

from corsight.config.environment import ENV_PREFIX, env_name
from corsight.config.loading import (
    Loaded,
    analyze_config,
    build_policy,
    discover,
    from_env,
    from_mapping,
    load,
)
from corsight.errors import ConfigError, Problem

__all__ = [
    "ENV_PREFIX",
    "ConfigError",
    "Loaded",
    "Problem",
    "analyze_config",
    "build_policy",
    "discover",
    "env_name",
    "from_env",
    "from_mapping",
    "load",
]
