"""Web server targets: nginx, Apache httpd and Caddy.

Each classifies a request into the plan's kinds (preflight allowed or denied, actual allowed
or denied, not CORS) with the plan's anchored regexes, answers preflights itself, and sends
exactly the plan's headers for that kind, also on error responses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from corsight.export.model import (
    CANONICAL_ORIGIN_REGEX,
    ORIGIN,
    REQUEST_HEADERS,
    REQUEST_METHOD,
    Header,
    Plan,
    PlannedResponse,
)
from corsight.export.result import Exported, ExportError

LOWERCASE_NOTE = (
    "{server} answers 400 to a method name that is not all uppercase before any configuration "
    "runs; fetch() sends methods other than DELETE/GET/HEAD/OPTIONS/POST/PUT as written, so "
    "write method: 'PATCH' in the front end"
)

KINDS = ("preflight_ok", "preflight_denied", "actual_allowed", "actual_denied", "not_cors")


def _planned_responses(plan: Plan) -> list[tuple[str, PlannedResponse]]:
    found = [
        ("preflight_ok", plan.preflight_ok),
        ("preflight_denied", plan.preflight_denied),
        ("actual_allowed", plan.actual_allowed),
        ("actual_denied", plan.actual_denied),
        ("not_cors", plan.not_cors),
    ]
    return [(kind, answer) for kind, answer in found if answer is not None]


def _response_headers(answer: PlannedResponse) -> list[Header]:
    """The headers a server adds: the preflight's own Content-Type belongs to its body, and an
    actual response's Vary is merged as one more header."""
    headers = [h for h in answer.headers if h.name.lower() != "content-type"]
    if answer.vary:
        headers.append(Header("Vary", answer.vary))
    return headers


def _summary(plan: Plan, comment: str) -> str:
    lines = [f"{comment} Policy:"]
    for key, value in plan.policy.settings().items():
        if key in ("allow_origin_callback", "origin_cache_size", "origin_cache_ttl"):
            continue
        lines.append(f"{comment}   {key} = {value!r}")
    return "\n".join(lines) + "\n"


def _cors_names(plan: Plan) -> list[str]:
    names: dict[str, None] = {}
    for header in plan.actual_allowed.headers:
        names.setdefault(header.name, None)
    return list(names)


# --- nginx ----------------------------------------------------------------------------------------


def _ng_regex(regex: str) -> str:
    # nginx unescapes \\ and \" inside quoted strings; everything else reaches PCRE as written.
    return '"' + regex.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ng_value(value: str) -> str:
    value = (
        value.replace(ORIGIN, "$http_origin")
        .replace(REQUEST_METHOD, "$http_access_control_request_method")
        .replace(REQUEST_HEADERS, "$http_access_control_request_headers")
    )
    return '"' + value + '"'


def _ng_var(name: str) -> str:
    return "$cors_" + name.lower().replace("-", "_")


def nginx(plan: Plan) -> Exported:
    for _, answer in _planned_responses(plan):
        for header in answer.headers:
            if "$" in header.value or '"' in header.value:
                raise ExportError(
                    f"cannot export to nginx: the value of {header.name} ({header.value!r}) holds '$' or "
                    "'\"', which nginx would read as a variable or a quote"
                )
    out = [
        "# CORS for nginx, exported by `corsight export` from one corsight Policy.",
        "#",
        "# Include it inside the server {} block that serves the API, before its locations:",
        "#     include /etc/nginx/corsight-cors.conf;",
        "# Preflights are answered here (204, or 403 with no CORS headers when denied); every",
        "# other response gets the headers below, error responses too ('always').",
        "# nginx does not inherit add_header into a location that has add_header of its own:",
        "# include this file in such a location as well.",
        "#",
        _summary(plan, "#").rstrip("\n"),
        "",
    ]
    names = _cors_names(plan)
    if names:
        out.append("# The application's own CORS headers are replaced by these (proxied upstreams).")
        out += [f"proxy_hide_header {name};" for name in names]
        out.append("")
    out.append("# Is the Origin allowed?")
    out.append('set $cors_origin_ok "";')
    if plan.any_origin:
        out.append('if ($http_origin != "") { set $cors_origin_ok 1; }')
    else:
        if plan.exact_regex:
            out.append(f"if ($http_origin ~ {_ng_regex(plan.exact_regex)}) {{ set $cors_origin_ok 1; }}")
        if plan.pattern_regex:
            out.append("# Patterns apply only to origins written as browsers write them.")
            out.append('set $cors_probe "";')
            out.append(
                f"if ($http_origin ~ {_ng_regex(CANONICAL_ORIGIN_REGEX)}) {{ set $cors_probe $http_origin; }}"
            )
            out.append(f"if ($cors_probe ~ {_ng_regex(plan.pattern_regex)}) {{ set $cors_origin_ok 1; }}")
    out += [
        "",
        "# Is it a preflight (OPTIONS with Origin and Access-Control-Request-Method)?",
        'set $cors_preflight "";',
        "if ($request_method = OPTIONS) { set $cors_preflight P; }",
        'if ($http_origin = "") { set $cors_preflight ""; }',
        'if ($http_access_control_request_method = "") { set $cors_preflight ""; }',
        "# Does the preflight ask only for what is allowed?",
        'set $cors_method_ok "";',
    ]
    if plan.method_regex:
        out.append(
            f"if ($http_access_control_request_method ~ {_ng_regex(plan.method_regex)}) "
            "{ set $cors_method_ok 1; }"
        )
    out.append('set $cors_headers_ok "";')
    out.append(
        f"if ($http_access_control_request_headers ~* {_ng_regex(plan.headers_regex)}) "
        "{ set $cors_headers_ok 1; }"
    )
    out.append("set $cors_pna_ok 1;")
    if not plan.private_network:
        out.append('if ($http_access_control_request_private_network != "") { set $cors_pna_ok ""; }')
    out.append('set $cors_has_origin "";')
    out.append('if ($http_origin != "") { set $cors_has_origin O; }')
    parts = ("preflight", "has_origin", "origin_ok", "method_ok", "headers_ok", "pna_ok")
    out.append('set $cors_kind "' + ":".join(f"$cors_{p}" for p in parts) + '";')
    out.append("")

    selectors = {
        "preflight_ok": '= "P:O:1:1:1:1"',
        "preflight_denied": '~ "^P"',
        "actual_allowed": '~ "^:O:1"',
        "actual_denied": None,  # an Origin that is not allowed
        "not_cors": None,
    }
    variables: dict[str, None] = {}
    for _, answer in _planned_responses(plan):
        for header in _response_headers(answer):
            variables.setdefault(header.name, None)
    out.append("# The headers each kind of request gets (an empty value sends no header).")
    out += [f'set {_ng_var(name)} "";' for name in variables]

    def assign(headers: Iterable[Header], indent: str = "    ") -> list[str]:
        return [f"{indent}set {_ng_var(h.name)} {_ng_value(h.value)};" for h in headers]

    out.append('if ($cors_kind ~ "^::") {')
    out += assign(_response_headers(plan.not_cors))
    out.append("}")
    out.append('if ($cors_kind ~ "^:O:") {')
    out.append("    # an actual request with an Origin: denied unless allowed just below")
    out += assign(_response_headers(plan.actual_denied))
    out.append("}")
    for kind in ("actual_allowed", "preflight_denied", "preflight_ok"):
        answer = getattr(plan, kind)
        if answer is None:
            continue
        always = [h for h in _response_headers(answer) if h.when == "always"]
        out.append(f"if ($cors_kind {selectors[kind]}) {{")
        out += assign(always)
        out.append("}")
        for when, variable in (
            ("request-headers", "$http_access_control_request_headers"),
            ("private-network", "$http_access_control_request_private_network"),
        ):
            extra = [h for h in answer.headers if h.when == when]
            if extra:
                out.append(f'set $cors_probe2 "$cors_kind|{variable}";')
                out.append('if ($cors_probe2 ~ "^P:O:1:1:1:1\\|.*[^ \\t,]") {')
                out += assign(extra)
                out.append("}")
    out.append("")
    out.append("# Answer preflights here; other requests go on to the application.")
    if plan.preflight_ok is not None:
        out.append(f'if ($cors_kind = "P:O:1:1:1:1") {{ return {plan.preflight_ok.status}; }}')
    body = plan.preflight_denied.body.replace('"', "").replace("\n", "\\n")
    out.append(f'if ($cors_kind ~ "^P") {{ return {plan.preflight_denied.status} "{body}"; }}')
    out.append("")
    out += [f"add_header {name} {_ng_var(name)} always;" for name in variables]
    exported = Exported("nginx", "corsight-cors.conf", "\n".join(out) + "\n")
    exported.notes.append(LOWERCASE_NOTE.format(server="nginx"))
    return exported


# --- Apache httpd -------------------------------------------------------------------------------------


def _ap_regex(regex: str, flags: str = "") -> str:
    # m#...# inside a double-quoted directive argument: '#' and '"' are hex escapes already.
    return f"m#{regex}#{flags}"


def _req(name: str) -> str:
    # req_novary: reading a request header must not add it to Vary behind the policy's back.
    return f"req_novary('{name}')"


def _origin_allowed(plan: Plan, present: str, matches: Callable[[str], str]) -> str:
    """ "The Origin is allowed" in a config language, given its test that Origin is present and
    its expression for "Origin matches this regex" (Apache's ap_expr, Caddy's CEL)."""
    if plan.any_origin:
        return f"({present})"
    parts = []
    if plan.exact_regex:
        parts.append(matches(plan.exact_regex))
    if plan.pattern_regex:
        # Patterns apply only to origins written as browsers write them.
        parts.append(f"({matches(CANONICAL_ORIGIN_REGEX)} && {matches(plan.pattern_regex)})")
    return "(" + " || ".join(parts) + ")" if parts else "false"


def _ap_conditions(plan: Plan) -> dict[str, str]:
    has_origin = f"-n {_req('Origin')}"
    origin_ok = _origin_allowed(plan, has_origin, lambda regex: f"{_req('Origin')} =~ {_ap_regex(regex)}")
    preflight = (
        f"(%{{REQUEST_METHOD}} == 'OPTIONS' && {has_origin} && -n {_req('Access-Control-Request-Method')})"
    )
    checks = [preflight, origin_ok]
    checks.append(
        f"{_req('Access-Control-Request-Method')} =~ {_ap_regex(plan.method_regex)}"
        if plan.method_regex
        else "false"
    )
    checks.append(f"{_req('Access-Control-Request-Headers')} =~ {_ap_regex(plan.headers_regex, 'i')}")
    if not plan.private_network:
        checks.append(f"-z {_req('Access-Control-Request-Private-Network')}")
    preflight_ok = "(" + " && ".join(checks[1:]) + ")"
    return {
        "CORSIGHT_PREFLIGHT": preflight,
        "CORSIGHT_ORIGIN_OK": origin_ok,
        "CORSIGHT_PREFLIGHT_PASSES": preflight_ok,
        "preflight_ok": "(${CORSIGHT_PREFLIGHT} && ${CORSIGHT_PREFLIGHT_PASSES})",
        "preflight_denied": "(${CORSIGHT_PREFLIGHT} && !${CORSIGHT_PREFLIGHT_PASSES})",
        "actual_allowed": "(!${CORSIGHT_PREFLIGHT} && ${CORSIGHT_ORIGIN_OK})",
        "actual_denied": f"(!${{CORSIGHT_PREFLIGHT}} && {has_origin} && !${{CORSIGHT_ORIGIN_OK}})",
        "not_cors": f"-z {_req('Origin')}",
    }


def _ap_value(value: str) -> str:
    if not any(p in value for p in (ORIGIN, REQUEST_METHOD, REQUEST_HEADERS)):
        return '"' + value.replace("%", "%%") + '"'
    # An ap_expr string: the request headers it echoes are read without adding them to Vary.
    value = (
        value.replace(ORIGIN, "%{req_novary:Origin}")
        .replace(REQUEST_METHOD, "%{req_novary:Access-Control-Request-Method}")
        .replace(REQUEST_HEADERS, "%{req_novary:Access-Control-Request-Headers}")
    )
    return '"expr=' + value + '"'


def apache(plan: Plan) -> Exported:
    conditions = _ap_conditions(plan)
    out = [
        "# CORS for Apache httpd 2.4, exported by `corsight export` from one corsight Policy.",
        "#",
        "# Include it inside the <VirtualHost> that serves the API (server context), before your",
        "# own RewriteRules:   Include /etc/apache2/corsight-cors.conf",
        "# Needs mod_headers and mod_rewrite (a2enmod headers rewrite).",
        "# Preflights are answered here (204, or 403 with no CORS headers when denied); every",
        "# other response gets the headers below, error responses too ('always').",
        "#",
        _summary(plan, "#").rstrip("\n"),
        "",
        "# Parts of the conditions below (Define substitutes them as the file is read).",
        *(f'Define {name} "{conditions[name]}"' for name in conditions if name.startswith("CORSIGHT_")),
        "",
        "# Answer preflights here; other requests go on to the application.",
        "RewriteEngine On",
    ]
    if plan.preflight_ok is not None:
        out += [
            f'RewriteCond expr "{conditions["preflight_ok"]}"',
            f"RewriteRule ^ - [R={plan.preflight_ok.status},L]",
        ]
    out += [
        f'RewriteCond expr "{conditions["preflight_denied"]}"',
        f"RewriteRule ^ - [R={plan.preflight_denied.status},L]",
        "",
        "# The headers each kind of request gets; the application's own CORS headers of the same",
        "# names are replaced.",
    ]
    extra_condition = {
        "request-headers": f" && {_req('Access-Control-Request-Headers')} =~ m#[^ \\t,]#",
        "private-network": f" && -n {_req('Access-Control-Request-Private-Network')}",
        "always": "",
    }
    for kind, answer in _planned_responses(plan):
        out.append(f"# {kind.replace('_', ' ')}")
        for header in _response_headers(answer):
            condition = conditions[kind] + extra_condition[header.when]
            if header.name == "Vary":
                out.append(f'Header always merge Vary {_ap_value(header.value)} "expr={condition}"')
                continue
            out.append(f'Header unset {header.name} "expr={condition}"')
            out.append(f'Header always set {header.name} {_ap_value(header.value)} "expr={condition}"')
    return Exported("apache", "corsight-cors.conf", "\n".join(out) + "\n")


# --- Caddy -----------------------------------------------------------------------------------------------


def _cel_regex(regex: str, insensitive: bool = False) -> str:
    return "r'" + ("(?i)" if insensitive else "") + regex + "'"


def _ph(name: str) -> str:
    return "{http.request.header." + name + "}"


def _caddy_conditions(plan: Plan) -> dict[str, str]:
    origin = _ph("Origin")
    has_origin = f"{origin} != ''"
    origin_ok = _origin_allowed(plan, has_origin, lambda regex: f"{origin}.matches({_cel_regex(regex)})")
    acrm = _ph("Access-Control-Request-Method")
    preflight = f"({{http.request.method}} == 'OPTIONS' && {has_origin} && {acrm} != '')"
    checks = [preflight, origin_ok]
    checks.append(f"{acrm}.matches({_cel_regex(plan.method_regex)})" if plan.method_regex else "false")
    checks.append(f"{_ph('Access-Control-Request-Headers')}.matches({_cel_regex(plan.headers_regex, True)})")
    if not plan.private_network:
        checks.append(f"{_ph('Access-Control-Request-Private-Network')} == ''")
    preflight_ok = "(" + " && ".join(checks) + ")"
    return {
        "preflight_ok": preflight_ok,
        "preflight_denied": f"({preflight} && !{preflight_ok})",
        "actual_allowed": f"(!{preflight} && {origin_ok})",
        "actual_denied": f"(!{preflight} && {has_origin} && !{origin_ok})",
        "not_cors": f"{origin} == ''",
    }


def _caddy_value(value: str) -> str:
    value = (
        value.replace(ORIGIN, _ph("Origin"))
        .replace(REQUEST_METHOD, _ph("Access-Control-Request-Method"))
        .replace(REQUEST_HEADERS, _ph("Access-Control-Request-Headers"))
    )
    return '"' + value + '"'


def caddy(plan: Plan) -> Exported:
    for _, answer in _planned_responses(plan):
        for header in answer.headers:
            if "{" in header.value.replace(ORIGIN, "").replace(REQUEST_METHOD, "").replace(
                REQUEST_HEADERS, ""
            ):
                raise ExportError(f"cannot export to caddy: {header.name} holds '{{', a Caddy placeholder")
    conditions = _caddy_conditions(plan)
    out = [
        "# CORS for Caddy 2, exported by `corsight export` from one corsight Policy.",
        "#",
        "# Import it inside the site block that serves the API:   import corsight-cors.caddy",
        "# Preflights are answered here (204, or 403 with no CORS headers when denied); every",
        "# other response gets the headers below, proxied error responses too.",
        "#",
        _summary(plan, "#").rstrip("\n"),
        "",
    ]
    extra_condition = {
        "request-headers": f" && {_ph('Access-Control-Request-Headers')}.matches(r'[^ \\t,]')",
        "private-network": f" && {_ph('Access-Control-Request-Private-Network')} != ''",
        "always": "",
    }
    for kind, answer in _planned_responses(plan):
        groups: dict[str, list[Header]] = {}
        for header in _response_headers(answer):
            groups.setdefault(header.when, []).append(header)
        preflight = answer.status is not None
        for when, headers in groups.items():
            matcher = f"@corsight_{kind}" + ("" if when == "always" else "_" + when.replace("-", "_"))
            out.append(f"{matcher} expression `{conditions[kind]}{extra_condition[when]}`")
            out.append(f"header {matcher} {{")
            if not preflight:
                # After the application answered, so that these replace its own CORS headers.
                out.append("    defer")
            for header in headers:
                sign = "+" if header.name == "Vary" and not preflight else ""
                out.append(f"    {sign}{header.name} {_caddy_value(header.value)}")
            out.append("}")
        if preflight:
            body = answer.body.replace('"', "").replace("\n", "\\n") if answer.status != 204 else ""
            text = f' "{body}"' if body else ""
            if not any(w == "always" for w in groups):
                out.append(f"@corsight_{kind} expression `{conditions[kind]}`")
            out.append(f"respond @corsight_{kind}{text} {answer.status}")
        out.append("")
    return Exported("caddy", "corsight-cors.caddy", "\n".join(out).rstrip("\n") + "\n")
