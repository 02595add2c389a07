"""Origin regexes checked at construction: a regex must not admit origins its author did not mean.

Every regex is refused when it has an unescaped ``.`` glued to host text or matches ``null``.
With credentials, :func:`credentials_problem` also probes it with origins an attacker can own,
built from what the regex itself admits: its own host text with a name glued before or after
it (``attackerexample.com``, ``example.com.attacker.net``), other top-level domains, another
site under the same suffix, user-information shapes, each scheme; and it refuses a regex that
lets a wildcard choose the registrable part of a host (``example-[a-z]+\\.com``). Lookarounds
are set aside while probing: they can only exclude the names they spell out, and an attacker
picks another.

Samples of what a regex admits are read from its parse tree (the interpreter's own regex
parser), each character marked as written literally by the author or chosen by a wildcard.
The registrable part of a host is approximated (the last two labels, three under a country's
``co``/``com``/``org``... level), without the Public Suffix List: a wildcard under a shared
hosting suffix (``[a-z]+\\.vercel\\.app``) is not recognized as anyone's site.
"""

from __future__ import annotations

import importlib
import itertools
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from corsight.errors import Plain, PolicyError, Problem, Regex, Setting
from corsight.originsyntax import is_serialized_origin

_parser: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

#: Origins nobody's regex should admit; one admitted means the regex admits any origin.
ANY_ORIGIN_PROBES = ("https://attacker.invalid", "http://attacker.invalid", "https://attacker-site.invalid")

_ANY_ORIGIN_FIX = "match only your own hosts, e.g. {example}"
_HOST_FIX = "start each wildcard at a label boundary and escape every dot, e.g. {example}"
_CREDENTIALS = Setting("allow_credentials", True)
_LOOKAROUND_NOTE = (
    " once its lookaround is set aside (a lookaround excludes only the names it spells out; "
    "an attacker registers another)"
)

#: Second-level labels under which a country's registrable names sit (``example.co.uk``).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "ltd", "net", "or", "org", "ne", "plc", "go"})

#: Most samples kept for one sequence of a regex, and most combinations of its parts tried.
_MAX_SAMPLES = 512
_MAX_COMBINATIONS = 48
#: Longest run a sample repeats a part for (``\d{4}`` is 4; ``x{1000}`` is not sampled whole).
_MAX_REPEAT = 64

Sample = tuple[str, str]  # text, and per character "L" (written by the author) or "V" (a wildcard)


def compile_origin_regex(regex: str, setting: str = "allow_origin_regex") -> re.Pattern[str]:
    """Compile a user's origin regex, refusing the shapes that admit attackers' origins."""
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise PolicyError(
            Problem.say(
                setting,
                regex,
                "{value} is not a valid regular expression ({error})",
                "fix its syntax",
                error=Plain(str(exc)),
            )
        ) from None
    # An origin is printable ASCII, so a regex with a raw control or non-printable character
    # can only be a mistake; refusing it also keeps such bytes out of exported configurations.
    hidden = next((i for i, char in enumerate(regex) if not char.isprintable()), None)
    if hidden is not None:
        raise PolicyError(
            Problem.say(
                setting,
                regex,
                "{value} has the non-printable character {char} at position {position}",
                "an origin never contains one; write it as an escape such as '\\x1b' if you mean it",
                char=regex[hidden],
                position=hidden,
            )
        )
    dot = unescaped_dot(regex)
    if dot is not None:
        raise PolicyError(
            Problem.say(
                setting,
                regex,
                "{value} has an unescaped '.' at position {position}",
                "'.' matches any character, so 'www.example.com' also admits "
                "'wwwxexample.com'; write '\\.' for a literal dot",
                position=dot,
            )
        )
    if compiled.fullmatch("null"):
        raise PolicyError(
            Problem.say(
                setting,
                regex,
                "{value} matches the origin 'null'",
                "sandboxed pages of any site send 'null'; list 'null' in allow_origins if you really mean it",
            )
        )
    return compiled


def unescaped_dot(regex: str) -> int | None:
    """Position of a ``.`` outside a character class that is glued to a host name.

    ``.`` followed by a letter or digit (``example.com``) is almost always a literal dot
    written by mistake; followed by any quantifier and then one (``.*example``, ``.?example``,
    ``.{1}example``) it admits ``evilexample.com``.
    """
    for i in _syntax_positions(regex):
        if regex[i] == ".":
            after = _skip_quantifier(regex, i + 1)
            if regex[after : after + 1].isalnum():
                return i
    return None


def _syntax_positions(regex: str, start: int = 0) -> Iterator[int]:
    """The positions, from ``start``, of the characters of ``regex`` that are regex syntax:
    neither escaped nor inside a character class (where a ``]`` first, or after ``^``, is a
    literal). The one scanner every check of a regex's text walks with."""
    i, end = start, len(regex)
    while i < end:
        char = regex[i]
        if char == "\\":
            i += 2
        elif char == "[":
            i += 1
            if regex[i : i + 1] == "^":
                i += 1
            if regex[i : i + 1] == "]":
                i += 1
            while i < end and regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
            i += 1
        else:
            yield i
            i += 1


def _skip_quantifier(regex: str, i: int) -> int:
    if regex[i : i + 1] in ("*", "+", "?"):
        i += 1
    elif regex[i : i + 1] == "{":
        end = regex.find("}", i)
        if end > 0 and re.fullmatch(r"[0-9]*(,[0-9]*)?", regex[i + 1 : end]):
            i = end + 1
        else:
            return i
    else:
        return i
    return i + 1 if regex[i : i + 1] in ("?", "+") else i  # lazy or possessive


def credentials_problem(regex: str, setting: str = "allow_origin_regex") -> Problem | None:
    """The problem of a regex that admits an origin an attacker can own, or ``None``.

    Meant for policies with credentials, where such an origin reads the users' data.
    """
    compiled = re.compile(regex)
    relaxed = _relaxed(regex) or compiled

    def refuse(problem: str, fix: str, example: str, origin: str) -> Problem:
        note = "" if compiled.fullmatch(origin) else _LOOKAROUND_NOTE
        return Problem.say(
            setting,
            regex,
            problem,
            fix,
            involves=("allow_credentials",),
            origin=origin,
            note=Plain(note),
            credentials=_CREDENTIALS,
            example=Regex(example),
        )

    for origin in ANY_ORIGIN_PROBES:
        if relaxed.fullmatch(origin):
            return refuse(
                "{value} admits any origin (e.g. {origin}){note}, which with "
                "{credentials} lets every website read your users' data",
                _ANY_ORIGIN_FIX,
                r"https://[a-z0-9-]+\.example\.com",
                origin,
            )
    samples = [s for s in _origin_samples(regex) if relaxed.fullmatch(s[0])]
    owned = {site for site, mask in map(_site, samples) if "V" not in mask}
    for origin in _attacker_origins(samples, owned):
        if relaxed.fullmatch(origin):
            return refuse(
                "{value} admits {origin}{note}, a site anyone can register, which with "
                "{credentials} reads your users' data",
                _HOST_FIX,
                r"https://([a-z0-9-]+\.)?example\.com",
                origin,
            )
    for text, mask in samples:
        if "V" in _site((text, mask))[1]:
            return refuse(
                "{value} lets a wildcard choose the site itself: it admits {origin} and every other "
                "site of that shape, which anyone can register, and with "
                "{credentials} such a site reads your users' data",
                _HOST_FIX,
                r"https://([a-z0-9-]+\.)?example\.com",
                text,
            )
    return None


# -- lookarounds -----------------------------------------------------------------------------


def _relaxed(regex: str) -> re.Pattern[str] | None:
    """The regex with every lookaround replaced by an empty group: it admits at least as much.

    ``None`` when the regex has no lookaround (or, oddly, the relaxed text does not compile)."""
    out: list[str] = []
    kept_from = 0
    for i in _syntax_positions(regex):
        if i >= kept_from and regex.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            out += [regex[kept_from:i], "(?:)"]
            kept_from = _group_end(regex, i)
    if not out:
        return None
    try:
        return re.compile("".join(out) + regex[kept_from:])
    except re.error:
        return None


def _group_end(regex: str, start: int) -> int:
    """The index after the ``)`` that closes the group opened at ``start``."""
    depth = 0
    for i in _syntax_positions(regex, start):
        if regex[i] == "(":
            depth += 1
        elif regex[i] == ")":
            depth -= 1
            if not depth:
                return i + 1
    return len(regex)


# -- samples of what a regex admits -------------------------------------------------------------


def _origin_samples(regex: str) -> list[Sample]:
    """Origins the regex (lookarounds aside) admits, lowercased, as browsers would send them."""
    try:
        tree = _parser.parse(regex)
    except Exception:  # compiled already: a quirk of the parser only means no samples
        return []
    found: dict[str, str] = {}
    for text, mask in _sequence(list(tree), {}):
        if text.isascii():
            text = text.lower()
            if is_serialized_origin(text):
                found.setdefault(text, mask)
    return list(found.items())


def _sequence(nodes: list[tuple[Any, Any]], groups: dict[int, Sample]) -> list[Sample]:
    """Samples of a sequence of nodes: every option of every node at least once (the others at
    their first option), then combinations, up to a bound. Covering each option keeps a hole
    found however many alternatives come before it."""
    options = [_node(getattr(op, "name", str(op)), av, groups) or [("", "")] for op, av in nodes]
    base = [choices[0] for choices in options]
    found: dict[str, str] = {}

    def add(parts: Iterable[Sample]) -> None:
        parts = list(parts)
        found.setdefault("".join(t for t, _ in parts), "".join(m for _, m in parts))

    add(base)
    for i, choices in enumerate(options):
        for choice in choices[1:]:
            add([*base[:i], choice, *base[i + 1 :]])
    for combination in itertools.islice(itertools.product(*options), _MAX_COMBINATIONS):
        add(combination)
    return list(found.items())[:_MAX_SAMPLES]


def _node(name: str, av: Any, groups: dict[int, Sample]) -> list[Sample]:
    if name == "LITERAL":
        return [(chr(av), "L")]
    if name == "NOT_LITERAL":
        return [(c, "V") for c in "a.1" if ord(c) != av][:2]
    if name == "ANY":
        return [("a", "V"), (".", "V")]
    if name == "IN":
        return _class_options(av)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = av
        counts = sorted({c for c in (low, max(low, 1)) if c <= high and c <= _MAX_REPEAT})
        # A part that can repeat any number of times is the wildcard's choice, even if literal.
        free = high > 1 and high != low
        return [
            (text * count, ("V" * len(text) if free else mask) * count)
            for count in counts
            for text, mask in _sequence(list(sub), groups)
        ]
    if name == "SUBPATTERN":
        group, sub = av[0], av[-1]
        options = _sequence(list(sub), groups)
        if group is not None and options:
            groups[group] = options[0]
        return options
    if name == "BRANCH":
        return [option for branch in av[1] for option in _sequence(list(branch), groups)]
    if name == "GROUPREF":
        return [groups.get(av, ("", ""))]
    if name == "GROUPREF_EXISTS":
        _, yes, no = av
        return _sequence(list(yes), groups) + (_sequence(list(no), groups) if no else [("", "")])
    if name == "ATOMIC_GROUP":
        return _sequence(list(av), groups)
    return [("", "")]  # anchors, lookarounds (set aside), and anything unknown


def _class_options(items: list[tuple[Any, Any]]) -> list[Sample]:
    """A character class: its members when it only lists a few literals (``[cn]``), else a
    letter or digit it admits, and ``.`` and ``-`` when it admits them (marked as a wildcard)."""
    names = [(getattr(op, "name", str(op)), av) for op, av in items]
    negated = any(name == "NEGATE" for name, _ in names)
    if not negated and all(name == "LITERAL" for name, _ in names) and len(names) <= 4:
        return [(chr(av), "L") for _, av in names]

    def admits(char: str) -> bool:
        return negated != any(_member(name, av, char) for name, av in names)

    options = [(c, "V") for c in ("a", "1") if admits(c)][:1]
    options += [(c, "V") for c in (".", "-") if admits(c)]
    if not options:  # e.g. [A-Z] under (?i): lowercased later
        for name, av in names:
            if name == "LITERAL":
                return [(chr(av), "V")]
            if name == "RANGE":
                return [(chr(av[0]), "V")]
    return options


def _member(name: str, av: Any, char: str) -> bool:
    if name == "LITERAL":
        return bool(ord(char) == av)
    if name == "RANGE":
        return bool(av[0] <= ord(char) <= av[1])
    if name == "CATEGORY":
        category = getattr(av, "name", str(av)).removeprefix("CATEGORY_")
        kind = category.removeprefix("NOT_")
        if kind not in _CATEGORIES:
            return False
        return category.startswith("NOT_") != _CATEGORIES[kind](char)
    return False


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


_CATEGORIES: dict[str, Callable[[str], bool]] = {"DIGIT": str.isdigit, "SPACE": str.isspace, "WORD": _is_word}


# -- sites and attackers' origins ---------------------------------------------------------------


def _parts(text: str) -> tuple[str, str, str, int]:
    """Scheme, host, ":port" (or "") of a serialized origin, and where its host starts."""
    scheme, _, rest = text.partition("://")
    start = len(scheme) + 3
    if rest.startswith("["):
        end = rest.index("]") + 1
        return scheme, rest[:end], rest[end:], start
    host, colon, port = rest.partition(":")
    return scheme, host, colon + port, start


def _site_start(labels: list[str]) -> int:
    """Index of the first label of the registrable name (``example`` in ``a.example.co.uk``)."""
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return len(labels) - 3
    return max(len(labels) - 2, 0)


def _site_span(host: str) -> tuple[int, int]:
    """Where, in a host, is the name of the site its owner registered: the registrable name, the
    first octet of an IPv4 address (which picks the network), or a whole IPv6 address."""
    if host.startswith("["):
        return 0, len(host)
    labels = host.split(".")
    if labels[-1].isdigit():
        return 0, len(labels[0])
    return sum(len(label) + 1 for label in labels[: _site_start(labels)]), len(host)


def _site(sample: Sample) -> Sample:
    """The site's name in a sample's host (see :func:`_site_span`), with its marks."""
    text, mask = sample
    _, host, _, offset = _parts(text)
    start, end = _site_span(host)
    return host[start:end], mask[offset + start : offset + end]


def _attacker_hosts(host: str) -> Iterator[str]:
    """Hosts an attacker can own, made from a host the regex admits."""
    yield from ("attacker.net", "attacker.invalid", "203.0.113.7")
    yield from (host + "attacker.net", host + ".attacker.net", host + "-attacker.net")
    if host.startswith("[") or host.split(".")[-1].isdigit():
        return
    labels = host.split(".")
    i = _site_start(labels)
    prefix, first, rest = labels[:i], labels[i], labels[i + 1 :]
    for glue in ("attacker", "attacker-", "a", "1", "-"):
        yield ".".join([*prefix, glue + first, *rest])
        yield ".".join([glue + first, *rest])
    for glue in ("attacker", "-attacker"):
        yield ".".join([*prefix, first + glue, *rest])
    if rest:
        yield ".".join([*prefix, "attacker", *rest])
        for tld in ("zz", "attacker"):
            yield ".".join([*prefix, first, *rest[:-1], tld])


def _attacker_origins(samples: list[Sample], owned: set[str]) -> Iterator[str]:
    """Origins an attacker can own: each host under the sample's scheme, http and https, with
    the sample's port and without, then the user-information shape ``host@attacker.net``."""
    seen: set[str] = set()
    hosts: dict[str, list[str]] = {}
    for text, _ in samples:
        scheme, host, port, _ = _parts(text)
        if host not in hosts:
            # A site the author wrote too (another alternative of the regex) is not an attacker's.
            hosts[host] = [h for h in _attacker_hosts(host) if h[slice(*_site_span(h))] not in owned]
        candidates = [
            f"{s}://{attacker}{p}"
            for attacker in hosts[host]
            for s in dict.fromkeys((scheme, "https", "http"))
            for p in dict.fromkeys((port, ""))
        ]
        candidates.append(f"{scheme}://{host}{port}@attacker.net")
        for origin in candidates:
            if origin not in seen:
                seen.add(origin)
                yield origin
