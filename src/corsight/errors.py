"""Every exception corsight raises about a configuration, and :class:`Problem`, the record of one
thing wrong with one setting.

The hierarchy (catch :class:`CorsightError` for all of corsight's own errors)::

    CorsightError
    └── PolicyError (a ValueError)   a Policy that cannot be right: every problem in .problems,
        │                            the first one's .setting, .value, .problem and .fix
        └── ConfigError              a configuration (a file, the environment, a framework's
                                     settings) with problems, each with its id and source;
                                     .unreadable when a file could not be read or parsed

The tools raise errors of their own for input they cannot use. They belong under
:class:`CorsightError` (their modules are owned by the tools and move there as they are
reworked): ``corsight.check.CheckError``, ``corsight.harfile.HarError``,
``corsight.export.targets.ExportError`` and ``corsight.scan.target.ScanTargetError`` directly under
it; ``corsight.proxy.config.ConfigError`` *is* :class:`ConfigError` (the proxy reads its file
and environment with :mod:`corsight.config`); ``corsight.proxy.targets.TargetError`` and
``corsight.proxy.forward.UpstreamError`` under it; the browser model's ``URLError`` and
``RequestError`` under it. Errors that never leave their module (the proxy's ``ClientGone``,
the UI's ``BadInput``, ``NotLoopback``, ``PortTaken``) stay private.

A problem's text quotes values and settings; it is written in Python (``allow_credentials=True``)
and can be written again in the syntax of the file it came from (:meth:`Problem.written_in`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class CorsightError(Exception):
    """The base of corsight's own errors."""


class Unwritable(ValueError):
    """A value the syntax has no way to write (``None`` in TOML)."""


class Syntax(NamedTuple):
    """How values and settings are written where a user configures corsight."""

    value: Callable[[Any], str]
    regex: Callable[[str], str]
    setting: Callable[[str, Any], str]


def _python_setting(name: str, value: Any) -> str:
    return f"{name}={value!r}"


#: Python keyword arguments: ``Policy(allow_credentials=True)``, Flask's and Django's settings.
PYTHON = Syntax(repr, lambda regex: f"r'{regex}'", _python_setting)


@dataclass(frozen=True)
class Regex:
    """A regex quoted in a problem's text (an example fix): ``r'...'`` in Python."""

    text: str


@dataclass(frozen=True)
class Setting:
    """A setting with a value quoted in a problem's text: ``allow_credentials=True`` in Python."""

    name: str
    value: Any


@dataclass(frozen=True)
class Plain:
    """Text put into a problem's text as it is, not quoted as a value (a method name)."""

    text: str


@dataclass(frozen=True)
class Clause:
    """Part of a problem's text left out where one of its values cannot be written (``or None``
    in a TOML file, which has no null)."""

    template: str
    quoted: Mapping[str, Any] = field(default_factory=dict)


def _write(template: str, quoted: Mapping[str, Any], syntax: Syntax) -> str:
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        code = quoted[name]
        if isinstance(code, Plain):
            out.append(code.text)
        elif isinstance(code, Regex):
            out.append(syntax.regex(code.text))
        elif isinstance(code, Setting):
            out.append(syntax.setting(code.name, code.value))
        elif isinstance(code, Clause):
            with contextlib.suppress(Unwritable):
                out.append(_write(code.template, code.quoted, syntax))
        else:
            out.append(syntax.value(code))
    return "".join(out)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one setting: what, and how to fix it.

    ``problem`` says what is wrong (quoting the value when it reads better) and ``fix`` how to
    fix it; ``involves`` names the other settings that make it a problem (``allow_credentials``
    for ``'*'``), empty when the setting is wrong on its own. The configuration layer adds its
    stable ``id`` (``E001``…), the ``source`` (a file, ``environment``) and the ``line``.
    """

    setting: str
    value: Any
    problem: str
    fix: str = ""
    involves: tuple[str, ...] = ()
    id: str = ""
    source: str = ""
    line: int | None = None
    warning: bool = False
    #: The texts as templates and the values they quote, to write them in another syntax.
    template: tuple[str, str, Mapping[str, Any]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def say(
        cls,
        setting: str,
        value: Any,
        problem: str,
        fix: str = "",
        /,
        *,
        involves: Iterable[str] = (),
        id: str = "",
        source: str = "",
        line: int | None = None,
        warning: bool = False,
        **quoted: Any,
    ) -> Problem:
        """A problem whose texts are templates: ``{value}`` is the value, other fields are the
        keyword arguments: values, written in the syntax, or :class:`Plain`, :class:`Setting`,
        :class:`Regex`, :class:`Clause`."""
        quoted = {"value": value, **quoted}
        return cls(
            setting,
            value,
            _write(problem, quoted, PYTHON),
            _write(fix, quoted, PYTHON),
            tuple(involves),
            id,
            source,
            line,
            warning,
            template=(problem, fix, quoted),
        )

    @property
    def message(self) -> str:
        """What is wrong (the name ``--json`` and earlier releases give :attr:`problem`)."""
        return self.problem

    @property
    def quotes_value(self) -> bool:
        """Whether :attr:`problem` shows the value itself."""
        return self.template is not None and "{value}" in self.template[0]

    def written_in(self, syntax: Syntax) -> Problem:
        """This problem with its quoted values and settings written in ``syntax``."""
        if self.template is None or syntax is PYTHON:
            return self
        problem, fix, quoted = self.template
        return dataclasses.replace(
            self, problem=_write(problem, quoted, syntax), fix=_write(fix, quoted, syntax)
        )

    def describe(self) -> str:
        """``setting: what is wrong``."""
        return f"{self.setting}: {self.problem}" if self.setting else self.problem

    @property
    def where(self) -> str:
        """``file:line``, ``file``, ``environment``, or empty."""
        return f"{self.source}:{self.line}" if self.source and self.line else self.source

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        fix = f"; {self.fix}" if self.fix else ""
        return f"{where}{self.describe()}{fix}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``corsight lint --json``)."""
        value = self.value
        if not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = repr(value)
        elif isinstance(value, list):
            value = [v if isinstance(v, (str, int, float, bool)) else repr(v) for v in value]
        return {
            "id": f"corsight.{self.id}",
            "level": "warning" if self.warning else "error",
            "source": self.source,
            "line": self.line,
            "setting": self.setting,
            "value": value,
            "message": self.problem,
            "fix": self.fix,
        }


class PolicyError(CorsightError, ValueError):
    """A CORS policy that cannot be right, with every problem found in :attr:`problems`.

    With one problem the message is ``"<setting>: <what is wrong>; <how to fix it>"``; with
    several, each numbered, on one line. :attr:`setting`, :attr:`value`, :attr:`problem` and
    :attr:`fix` are the first problem's. A plain message (from code that has no structure to
    give) becomes one problem with that text and no setting.
    """

    problems: list[Problem]

    def __init__(self, problems: Problem | Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = Problem("", None, problems)
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        # One line, as callers show it in one-line places (a CLI error, a comment in a snippet).
        if len(self.problems) == 1:
            return str(self.problems[0])
        numbered = " ".join(f"({n}) {p}" for n, p in enumerate(self.problems, 1))
        return f"CORS policy has {len(self.problems)} problems: {numbered}"

    @property
    def setting(self) -> str:
        return self.problems[0].setting if self.problems else ""

    @property
    def value(self) -> Any:
        return self.problems[0].value if self.problems else None

    @property
    def problem(self) -> str:
        return self.problems[0].problem if self.problems else str(self)

    @property
    def fix(self) -> str:
        return self.problems[0].fix if self.problems else ""


class ConfigError(PolicyError):
    """A configuration with problems; the message shows every one on its line, with its source.

    ``unreadable`` is true when a file could not be read or parsed (``corsight lint`` exits 2).
    """

    def __init__(self, problems: Problem | Iterable[Problem] | str, unreadable: bool = False) -> None:
        #: True when a file could not be read or parsed.
        self.unreadable = unreadable
        super().__init__(problems)

    def _message(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = "\n  ".join(map(str, self.problems))
        return f"CORS configuration has {len(self.problems)} problems:\n  {lines}"
