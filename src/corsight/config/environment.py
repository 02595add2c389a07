"""Settings from environment variables, twelve-factor style: each variable's text parsed by the
type of the setting it names, and every problem reported under the variable's name.

The middleware's settings are ``CORSIGHT_<SETTING>`` (:data:`POLICY_FIELDS`); the proxy reads
``CORSIGHT_PROXY_<SETTING>`` with the fields of its settings class (:func:`fields_of`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corsight.config.problems import E_UNKNOWN
from corsight.errors import Plain, Problem

ENV_PREFIX = "CORSIGHT_"
#: Prefixes of variables that other readers own (the proxy's), under ``CORSIGHT_``.
OTHER_PREFIXES = ("CORSIGHT_PROXY_",)

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Field:
    """How the text of one variable is parsed: as ``kind`` (``bool``, ``int``, ``float``,
    ``str``, or ``list`` of strings split at ``separator``, any whitespace when ``None``);
    ``optional`` settings take ``none`` (or nothing) for ``None``. ``what`` and ``example`` word
    the problem when the text is not of that kind."""

    kind: type
    optional: bool = False
    separator: str | None = ","
    what: str = ""
    example: str = ""

    def parse(self, text: str) -> Any:
        """The value of ``text``; raises :class:`ValueError` with the problem."""
        text = text.strip()
        if self.optional and text.lower() in ("", "none"):
            return None
        if self.kind is list:
            return split_list(text, self.separator)
        if self.kind is bool:
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
        elif self.kind is int:
            if _INTEGER.fullmatch(text):
                return int(text)
        elif self.kind is float:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
        else:
            return text
        raise ValueError(f"expected {self._what()}")

    def fix(self) -> str:
        example = f", e.g. {self.example}" if self.example else ""
        none = ", or none" if self.optional else ""
        return f"write {self._what()}{example}{none}"

    def _what(self) -> str:
        default = {bool: "true or false", int: "a whole number", float: "a number"}
        return self.what or default.get(self.kind, "text")


#: How each ``CORSIGHT_<SETTING>`` variable of the middleware's settings is read. Regexes are
#: separated by whitespace: a regex may contain commas.
POLICY_FIELDS = {
    "allow_origins": Field(list),
    "allow_origin_regex": Field(list, separator=None),
    "allow_methods": Field(list),
    "allow_headers": Field(list),
    "expose_headers": Field(list),
    "allow_credentials": Field(bool),
    "max_age": Field(int, optional=True, what="whole seconds", example="600"),
    "allow_private_network": Field(bool),
    "allow_origin_callback": Field(str),
    "origin_cache_size": Field(int, example="1024"),
    "origin_cache_ttl": Field(float, what="a number of seconds", example="60"),
}


def split_list(text: str, separator: str | None = ",") -> list[str]:
    """The items of a list written as text (``https://a.com, https://b.com``), trimmed."""
    return [item.strip() for item in text.split(separator) if item.strip()]


def fields_of(settings_class: type) -> dict[str, Field]:
    """The fields of a dataclass's settings (those ``__init__`` takes), by their annotations:
    ``bool``, ``int``, ``float``, ``str``, a tuple or list of strings, each optionally ``| None``."""
    hints = typing.get_type_hints(settings_class)
    fields = {}
    for field in dataclasses.fields(settings_class):
        if not field.init:
            continue
        hint = hints[field.name]
        args = typing.get_args(hint)
        optional = type(None) in args and isinstance(hint, types.UnionType)
        if optional:
            (hint,) = [arg for arg in args if arg is not type(None)]
        kind = typing.get_origin(hint) or hint
        fields[field.name] = Field(list if kind in (list, tuple) else kind, optional=optional)
    return fields


def env_name(setting: str, prefix: str = ENV_PREFIX) -> str:
    return prefix + setting.upper()


def read_environment(
    environ: Mapping[str, str],
    fields: Mapping[str, Field] = POLICY_FIELDS,
    *,
    prefix: str = ENV_PREFIX,
    ids: Mapping[str, str] | None = None,
    strict: bool = False,
) -> tuple[dict[str, Any], list[Problem]]:
    """The settings ``<prefix><SETTING>`` variables give, and every problem, each named after
    its variable and with ``ids[setting]`` as its id.

    With ``strict``, any other variable under the prefix is a problem; otherwise only one whose
    name is close to a setting's (a typo), other names being left to other uses
    (``CORSIGHT_CONFIG``, and :data:`OTHER_PREFIXES`).
    """
    settings: dict[str, Any] = {}
    problems: list[Problem] = []
    known = {env_name(name, prefix): name for name in fields}
    for var, text in environ.items():
        if not var.startswith(prefix) or (not strict and var.startswith(OTHER_PREFIXES)):
            continue
        name = known.get(var)
        if name is None:
            close = difflib.get_close_matches(var, list(known), n=1, cutoff=0.6 if strict else 0.85)
            if close or strict:
                fix = f"did you mean {close[0]}?" if close else "remove it"
                problems.append(
                    Problem.say(var, text, "not a corsight setting", fix, id=E_UNKNOWN, source="environment")
                )
            continue
        field = fields[name]
        try:
            settings[name] = field.parse(text)
        except ValueError as exc:
            ident = (ids or {}).get(name, "")
            problems.append(
                Problem.say(
                    var,
                    text,
                    "{what}",
                    field.fix(),
                    id=ident,
                    source="environment",
                    what=Plain(str(exc)),
                )
            )
    return settings, problems
