"""The misconfiguration classes the scanner knows: an id, a title, what it means, the fix,
the highest severity it can reach, and which narrower classes it explains."""

from __future__ import annotations

from dataclasses import dataclass

from corsight.scan.severity import Severity


@dataclass(frozen=True)
class MisconfigClass:
    id: str
    title: str
    description: str
    fix: str
    cap: Severity = Severity.HIGH
    # Classes whose hits this one explains: a server that trusts any origin also trusts
    # `null`, prefixed hosts and so on; those hits are listed under this finding.
    implies: tuple[str, ...] = ()


ORIGIN_CLASSES = (
    "null-origin",
    "prefix-match",
    "suffix-match",
    "substring-match",
    "unescaped-dot",
    "any-subdomain",
    "special-characters",
    "http-origin",
    "third-party-origin",
    "localhost-origin",
)

CLASSES: dict[str, MisconfigClass] = {
    c.id: c
    for c in (
        MisconfigClass(
            "any-origin",
            "Any origin is trusted",
            "The server echoes whatever Origin it receives, so every site on the web is trusted.",
            "Compare the Origin with an exact allow-list of full origins and echo only those.",
            implies=ORIGIN_CLASSES,
        ),
        MisconfigClass(
            "null-origin",
            "The null origin is trusted",
            "Browsers send 'Origin: null' from sandboxed iframes, data: and file: documents and"
            " after cross-site redirects, so any site can obtain it.",
            "Remove 'null' from the allow-list.",
        ),
        MisconfigClass(
            "prefix-match",
            "Origins are matched by prefix",
            "A trusted origin followed by more host labels (trusted.example.attacker.tld) is"
            " accepted: the check looks at the start of the string only.",
            "Compare whole origins (scheme, host and port) for equality; anchor regexes at both ends.",
            implies=("special-characters",),
        ),
        MisconfigClass(
            "suffix-match",
            "Origins are matched by suffix",
            "A host that merely ends with the trusted domain (attackervictim.tld) is accepted;"
            " anyone can register such a domain.",
            "Compare whole origins for equality, or match subdomains with a leading dot"
            " ('.victim.tld') on the parsed host.",
            implies=("unescaped-dot", "any-subdomain", "http-origin"),
        ),
        MisconfigClass(
            "substring-match",
            "Origins are matched by substring",
            "The check only asks whether one string contains the other, so hosts that embed the"
            " trusted name, or are part of it, are accepted.",
            "Compare whole origins for equality instead of using 'in' / contains / indexOf.",
            implies=(
                "prefix-match",
                "suffix-match",
                "special-characters",
                "unescaped-dot",
                "any-subdomain",
                "http-origin",
            ),
        ),
        MisconfigClass(
            "unescaped-dot",
            "A regex dot is not escaped",
            "A '.' in the origin regex matches any character, so a registrable look-alike host"
            " (wwwxvictim.tld) is accepted.",
            "Escape dots in origin regexes (re.escape) and full-match them, or use an exact allow-list.",
        ),
        MisconfigClass(
            "any-subdomain",
            "Any subdomain is trusted",
            "Every subdomain can read this resource: one XSS, user-content host or dangling DNS"
            " record on any of them exposes it.",
            "List the subdomains that need access instead of trusting them all.",
            cap=Severity.MEDIUM,
        ),
        MisconfigClass(
            "special-characters",
            "Special characters in the host bypass the check",
            "A host such as trusted.example_.attacker.tld passes: the server's origin parser stops"
            " at a character that browsers allow inside a host name.",
            "Parse the Origin with a standards URL parser and compare the whole origin, or use an"
            " exact allow-list.",
            implies=("http-origin",),
        ),
        MisconfigClass(
            "http-origin",
            "A plain-http origin is trusted by an HTTPS resource",
            "A network attacker can inject a page on the http:// origin and read the HTTPS"
            " responses with it.",
            "Trust only https:// origins for HTTPS resources.",
            cap=Severity.MEDIUM,
        ),
        MisconfigClass(
            "third-party-origin",
            "A third-party or developer host is trusted",
            "Anyone can publish scripts on this host (code playgrounds, static hosting, tunnels).",
            "Remove third-party hosting and developer sandbox origins from the allow-list.",
        ),
        MisconfigClass(
            "localhost-origin",
            "A localhost origin is trusted",
            "Any program or page served on the victim's own machine can read the resource; a"
            " pattern like ^https?://localhost also accepts localhost.attacker.tld.",
            "Trust localhost origins in development builds only, never in production.",
        ),
        MisconfigClass(
            "wildcard-origin",
            "Access-Control-Allow-Origin: *",
            "Every site can read the response without credentials: fine for public data, not for"
            " data protected by network position or IP allow-lists.",
            "Serve '*' only on public resources; otherwise use an exact allow-list.",
        ),
        MisconfigClass(
            "invalid-allow-origin",
            "Invalid Access-Control-Allow-Origin value",
            "Browsers reject this value (a list, a pattern or a malformed origin), so the CORS"
            " setup does not work as intended.",
            "Send exactly one origin (or '*'): pick the request's origin from the allow-list.",
            cap=Severity.INFO,
        ),
        MisconfigClass(
            "credentials-dynamic-origin",
            "Credentials allowed with an origin computed per request",
            "Access-Control-Allow-Credentials: true with an echoed origin is only as safe as the"
            " check that decides which origins are echoed.",
            "Keep the origin check an exact allow-list, and send credentials only where needed.",
            cap=Severity.INFO,
        ),
        MisconfigClass(
            "missing-vary-origin",
            "Vary: Origin is missing on a response that depends on Origin",
            "Browser and shared caches may serve one origin's CORS answer to another: broken"
            " access for some users, and cache poisoning.",
            "Send 'Vary: Origin' on every response whose CORS headers depend on the Origin"
            " (including those without CORS headers).",
            cap=Severity.LOW,
        ),
        MisconfigClass(
            "permissive-preflight",
            "Preflights allow any method or header with credentials",
            "The preflight echoes whatever method or header is asked for, so pages of the"
            " accepted origins can send any credentialed request.",
            "Answer preflights with a fixed list of methods and headers.",
        ),
        MisconfigClass(
            "private-network-access",
            "Private network access is granted to a foreign origin",
            "The server answers Access-Control-Allow-Private-Network: true to a public page's"
            " preflight, letting websites reach this internal service through the victim's browser.",
            "Grant private network access only to the internal origins that need it.",
        ),
    )
}


def get(class_id: str) -> MisconfigClass:
    return CLASSES[class_id]
