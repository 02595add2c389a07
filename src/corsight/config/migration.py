"""The rules for settings written for flask-cors and django-cors-headers, where corsight would
otherwise do something else than those libraries did without a word: a regex they matched as a
prefix, and any origin allowed with credentials (both libraries answered it; corsight refuses)."""

from __future__ import annotations

from typing import Any

from corsight.config.problems import E_COMBINATION, E_PREFIX_REGEX
from corsight.errors import Plain, Problem


def ends_anchored(pattern: str) -> bool:
    """Whether a regex ends with an unescaped ``$`` or with ``\\Z``: the only regexes that
    ``re.match`` (flask-cors, django-cors-headers) applied to a whole string, not a prefix."""
    if pattern.endswith("\\Z"):
        return True
    head = pattern[:-1]
    return pattern.endswith("$") and (len(head) - len(head.rstrip("\\"))) % 2 == 0


def prefix_regex(setting: str, pattern: str, library: str, source: str = "") -> Problem | None:
    """The problem of an origin regex that ``library`` matched with ``re.match``, at the start
    of the origin only, unless it is anchored at the end (then corsight's full match means the
    same)."""
    if ends_anchored(pattern):
        return None
    return Problem.say(
        setting,
        pattern,
        "{value} is a regex that {library} matched at the start of the origin only (re.match), so "
        "it also admitted any origin that merely begins with a match, such as "
        "'https://app.example.com.attacker.net'; corsight matches the whole origin",
        "end it with '$' to say you mean the whole origin: {anchored}",
        id=E_PREFIX_REGEX,
        source=source,
        library=Plain(library),
        anchored=pattern + "$",
    )


def any_origin_with_credentials(
    setting: str, value: Any, *, library: str, credentials: str, fix: str, which: str = "", source: str = ""
) -> Problem:
    """The problem of every origin allowed with credentials, which ``library`` answered (so that
    any website could read the users' data) and corsight refuses. ``credentials`` is the
    setting that allowed them, as written; ``which`` says where the value came from."""
    return Problem.say(
        setting,
        value,
        "{value}{which} with {credentials}: {library} answered every origin with credentials allowed, "
        "which lets any website read your users' data",
        "{fix}",
        id=E_COMBINATION,
        source=source,
        which=Plain(which),
        credentials=Plain(credentials),
        library=Plain(library),
        fix=Plain(fix),
    )
