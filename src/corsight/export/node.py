"""The Express target: the ``cors`` npm package, driven by a small wrapper.

``cors`` alone differs from the policy in ways a browser or a cache can see: it answers every
OPTIONS as a preflight, never refuses a method or header, sends Access-Control-Allow-Credentials
and Expose-Headers to origins it does not allow, and omits part of the preflight's Vary. The
wrapper classifies the request as the engine does and calls ``cors`` only where its answer is
the plan's; the option values are the plan's header values.
"""

from __future__ import annotations

import json

from corsight.export.model import (
    CANONICAL_ORIGIN_REGEX,
    REQUEST_HEADERS,
    REQUEST_METHOD,
    Plan,
    PlannedResponse,
)
from corsight.export.result import Exported, ExportError
from corsight.export.webservers import LOWERCASE_NOTE


def _js_regex(regex: str, flags: str = "") -> str:
    return "/" + regex.replace("/", "\\/") + "/" + flags


def _value(answer: PlannedResponse | None, name: str) -> str | None:
    if answer is None:
        return None
    header = answer.header(name)
    return header.value if header else None


# What the wrapper and `cors` send, by kind; a plan with anything else is refused.
_HANDLED = {
    "preflight_ok": {
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Max-Age",
        "Access-Control-Allow-Private-Network",
        "Access-Control-Expose-Headers",
        "Vary",
    },
    "preflight_denied": {"Content-Type", "Vary"},
    "actual_allowed": {
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Expose-Headers",
    },
    "actual_denied": set(),
    "not_cors": {
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Expose-Headers",
    },
}


def _check(plan: Plan) -> None:
    for kind, names in _HANDLED.items():
        answer = getattr(plan, kind)
        if answer is None or (kind == "actual_denied" and plan.any_origin):
            continue
        unknown = [h.name for h in answer.headers if h.name not in names]
        if unknown:
            raise ExportError(
                f"cannot export to express: the {kind} answer needs {unknown}, which it cannot send"
            )
    if plan.not_cors.headers and plan.not_cors.headers != plan.actual_allowed.headers:
        raise ExportError("cannot export to express: requests without Origin need headers cors cannot send")


def express(plan: Plan) -> Exported:
    _check(plan)
    allowed = plan.actual_allowed
    pre = plan.preflight_ok
    credentials = allowed.header("Access-Control-Allow-Credentials") is not None
    exposed = _value(allowed, "Access-Control-Expose-Headers")
    methods = _value(pre, "Access-Control-Allow-Methods")
    req_headers = _value(pre, "Access-Control-Allow-Headers")
    max_age = _value(pre, "Access-Control-Max-Age")
    pna = _value(pre, "Access-Control-Allow-Private-Network")
    preflight_vary = _value(plan.preflight_denied, "Vary") or ""
    actual_origin = '"*"' if plan.any_origin else "true"

    lines = [
        "// CORS for Express, exported by `corsight export` from one corsight Policy.",
        "//",
        "//     npm install cors",
        '//     app.use(require("./corsight-cors"));   // before the routes',
        "//",
        "// Preflights are answered here (204, or 403 with no CORS headers when denied); the",
        "// headers come from the `cors` package, called only for the requests the policy allows.",
        "// Being first, it also puts the headers on the responses of Express's error handler.",
        "//",
    ]
    for key, value in plan.policy.settings().items():
        if key not in ("allow_origin_callback", "origin_cache_size", "origin_cache_ttl"):
            lines.append(f"//   {key} = {value!r}")
    lines += ["", '"use strict";', 'const cors = require("cors");', ""]
    lines.append(f"const EXACT_ORIGINS = new Set({json.dumps(sorted(plan.exact_origins))});")
    lines.append(f"const CANONICAL_ORIGIN = {_js_regex(CANONICAL_ORIGIN_REGEX)};")
    lines.append(f"const ORIGIN_PATTERN = {_js_regex(plan.pattern_regex) if plan.pattern_regex else 'null'};")
    lines.append(f"const METHOD = {_js_regex(plan.method_regex) if plan.method_regex else 'null'};")
    lines.append(f"const REQUEST_HEADERS = {_js_regex(plan.headers_regex, 'i')};")
    lines.append(f"const PREFLIGHT_VARY = {json.dumps(preflight_vary)};")
    lines.append(f"const DENIED_BODY = {json.dumps(plan.preflight_denied.body)};")
    lines.append("")
    lines += [
        "function originAllowed(origin) {",
        "  if (origin === undefined) return false;",
    ]
    if plan.any_origin:
        lines.append("  return true;")
    else:
        lines += [
            "  if (EXACT_ORIGINS.has(origin)) return true;",
            "  // Patterns apply only to origins written as browsers write them.",
            "  return ORIGIN_PATTERN !== null &&",
            "    CANONICAL_ORIGIN.test(origin) && ORIGIN_PATTERN.test(origin);",
        ]
    lines += [
        "}",
        "",
        "function preflightAllowed(req) {",
        "  return (",
        "    originAllowed(req.headers.origin) &&",
        '    METHOD !== null && METHOD.test(req.headers["access-control-request-method"]) &&',
        '    REQUEST_HEADERS.test(req.headers["access-control-request-headers"] || "")'
        + (" &&" if not plan.private_network else ""),
    ]
    if not plan.private_network:
        lines.append('    req.headers["access-control-request-private-network"] === undefined')
    lines += ["  );", "}", ""]

    pre_opts = [f"origin: {actual_origin}"]
    if credentials:
        pre_opts.append("credentials: true")
    if methods == REQUEST_METHOD:
        pre_opts.append('methods: req.headers["access-control-request-method"]')
    elif methods is not None:
        pre_opts.append(f"methods: {json.dumps(methods)}")
    if req_headers is not None and req_headers != REQUEST_HEADERS:
        pre_opts.append(f"allowedHeaders: {json.dumps(req_headers)}")
    # allowedHeaders left out: cors echoes Access-Control-Request-Headers, as the plan does.
    if max_age is not None:
        pre_opts.append(f"maxAge: {int(max_age)}")
    pre_exposed = _value(pre, "Access-Control-Expose-Headers")
    if pre_exposed is not None:
        pre_opts.append(f"exposedHeaders: {json.dumps(pre_exposed)}")
    actual_opts = [f"origin: {actual_origin}"]
    if credentials:
        actual_opts.append("credentials: true")
    if exposed is not None:
        actual_opts.append(f"exposedHeaders: {json.dumps(exposed)}")
    # OPTIONS requests that are not preflights go on to the application.
    actual_opts.append("preflightContinue: true")
    lines.append("const preflight = cors((req, callback) => callback(null, {")
    lines += [f"  {opt}," for opt in pre_opts]
    lines.append("}));")
    lines.append("const actual = cors({")
    lines += [f"  {opt}," for opt in actual_opts]
    lines.append("});")
    lines += [
        "",
        "module.exports = function corsightCors(req, res, next) {",
        "  const origin = req.headers.origin;",
        '  if (req.method === "OPTIONS" && origin !== undefined &&',
        '      req.headers["access-control-request-method"] !== undefined) {',
        '    res.setHeader("Vary", PREFLIGHT_VARY);',
        "    if (!preflightAllowed(req)) {",
        "      res.statusCode = 403;",
        '      res.setHeader("Content-Type", "text/plain; charset=utf-8");',
        "      res.end(DENIED_BODY);",
        "      return;",
        "    }",
    ]
    if pna is not None:
        lines += [
            '    if (req.headers["access-control-request-private-network"] !== undefined) {',
            f'      res.setHeader("Access-Control-Allow-Private-Network", {json.dumps(pna)});',
            "    }",
        ]
    lines += ["    preflight(req, res, next);", "    return;", "  }"]
    if plan.any_origin:
        lines += ["  actual(req, res, next);", "};"]
    else:
        lines += [
            "  if (originAllowed(origin)) {",
            "    actual(req, res, next);",
            "    return;",
            "  }",
            '  res.vary("Origin");',
            "  next();",
            "};",
        ]
    exported = Exported("express", "corsight-cors.js", "\n".join(lines) + "\n")
    if plan.methods is None or plan.request_headers is None:
        exported.notes.append("cors echoes the preflight's method/header list, as the policy's '*' does")
    exported.notes.append(LOWERCASE_NOTE.format(server="Node's HTTP parser"))
    exported.notes.append(
        "an OPTIONS request that is not a preflight also gets cors's preflight headers (browsers ignore them)"
    )
    return exported
