"""Runs scenarios in real Chromium and records what it did.

Each scenario's ``fetch()`` runs in a page of the page origin. Pages are pooled, each in its own
browser context, and a batch of scenarios runs concurrently (one per page): the preflight cache
cannot carry over between scenarios because its entries are keyed by URL and every scenario has
its own paths (``/s/<id>/…``); ``test_harness.py`` shows both that the cache exists and that this
isolates it. ``fresh_contexts=True`` runs each scenario in a context of its own instead, slower.

What is recorded, per scenario: whether the fetch resolved, its JS error, status and the
response header names script can read; the console lines Chromium logged for it (attributed by
the scenario's URL); and every request the scripted server received for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .scenario import Scenario
from .server import Received, ScriptedServer

_START = """([id, url, init]) => {
  window.__runs = window.__runs || {};
  window.__runs[id] = (async () => {
    try {
      const response = await fetch(url, init);
      const names = [];
      for (const [name] of response.headers) names.push(name);
      return {resolved: true, status: response.status, type: response.type,
              url: response.url, redirected: response.redirected, headers: names};
    } catch (error) {
      if (String(error) !== "TypeError: Failed to fetch") {
        // fetch() refused the request before any network traffic: repeat it without a catch,
        // so Chromium reports the uncaught rejection a page that does not catch would show.
        fetch(url, init);
      }
      return {resolved: false, error: String(error)};
    }
  })();
}"""
_COLLECT = "(id) => window.__runs[id]"
CORS_PREFIXES = ("Access to fetch at ", "Fetch API cannot load ")


@dataclass
class Observation:
    """What Chromium did for one scenario."""

    id: str
    resolved: bool
    error: str | None = None
    status: int | None = None
    response_type: str | None = None
    final_url: str | None = None
    readable_headers: list[str] | None = None
    console: list[str] = field(default_factory=list)  # the CORS lines
    console_other: list[str] = field(default_factory=list)  # e.g. "Failed to load resource: …"
    uncaught: list[str] = field(default_factory=list)  # "Uncaught (in promise) TypeError: …"
    requests: list[Received] = field(default_factory=list)

    @property
    def message(self) -> str | None:
        """The console text that explains a failed fetch, as a user would copy it.

        The CORS line when Chromium logged one; else, when fetch() refused the request, the
        uncaught rejection; else, for a failure below CORS, the ``Failed to load resource:
        net::ERR_…`` line. None when the fetch resolved.
        """
        if self.resolved:
            return None
        if self.console:
            return "\n".join(self.console)
        if self.uncaught:
            return self.uncaught[0]
        net = [t for t in self.console_other if t.startswith("Failed to load resource: net::")]
        return net[0] if net else None

    def preflights(self) -> list[Received]:
        return [r for r in self.requests if _is_preflight(r)]

    def actuals(self) -> list[Received]:
        return [r for r in self.requests if not _is_preflight(r)]

    def to_dict(self) -> dict[str, Any]:
        preflights = self.preflights()
        first = preflights[0] if preflights else None
        return {
            "id": self.id,
            "resolved": self.resolved,
            "error": self.error,
            "status": self.status,
            "response_type": self.response_type,
            "final_url": self.final_url,
            "readable_headers": self.readable_headers,
            "console": self.console,
            "console_other": self.console_other,
            "uncaught": self.uncaught,
            "message": self.message,
            "preflight": {
                "sent": first is not None,
                "count": len(preflights),
                "path": first.path if first else None,
                "origin": first.header("Origin") if first else None,
                "access-control-request-method": first.header("Access-Control-Request-Method")
                if first
                else None,
                "access-control-request-headers": first.header("Access-Control-Request-Headers")
                if first
                else None,
            },
            "actual": [
                {"method": r.method, "path": r.path, "origin": r.header("Origin")} for r in self.actuals()
            ],
            "requests": [r.to_dict() for r in self.requests],
        }


def _is_preflight(request: Received) -> bool:
    return request.method == "OPTIONS" and request.header("Access-Control-Request-Method") is not None


def fetch_init(scenario: Scenario) -> dict[str, Any]:
    """The ``fetch()`` init dictionary for a scenario."""
    init: dict[str, Any] = {
        "method": scenario.method,
        "headers": [list(h) for h in scenario.headers],
        "credentials": scenario.credentials,
    }
    if scenario.body is not None:
        init["body"] = scenario.body
    return init


class ChromiumRunner:
    """Runs scenarios in a Playwright Browser against a running scenario server."""

    def __init__(
        self, browser: Any, server: ScriptedServer, workers: int = 4, fresh_contexts: bool = False
    ) -> None:
        self.browser = browser
        self.server = server
        self.workers = 1 if fresh_contexts else workers
        self.fresh_contexts = fresh_contexts
        self._console: list[tuple[str, str, str]] = []  # (type, text, location url)
        self._uncaught: dict[str, list[str]] = {}  # by scenario id
        self._running: dict[int, str] = {}  # page slot -> scenario id it runs
        self._pages: list[Any] = []

    def run(self, scenarios: Sequence[Scenario]) -> dict[str, Observation]:
        """Observe every scenario; returns observations by scenario id."""
        results: dict[str, dict[str, Any]] = {}
        try:
            for start in range(0, len(scenarios), self.workers):
                batch = scenarios[start : start + self.workers]
                pages = self._fresh_pages(len(batch)) if self.fresh_contexts else self._pool()
                for slot, (page, scenario) in enumerate(zip(pages, batch, strict=False)):
                    self._running[slot] = scenario.id
                    url = scenario.url(self.server.origins)
                    page.evaluate(_START, [scenario.id, url, fetch_init(scenario)])
                for page, scenario in zip(pages, batch, strict=False):
                    results[scenario.id] = page.evaluate(_COLLECT, scenario.id)
                if any(
                    r.get("error", "TypeError: Failed to fetch") != "TypeError: Failed to fetch"
                    for r in (results[s.id] for s in batch)
                ):
                    pages[0].wait_for_timeout(100)  # the uncaught repeat reports a moment later
                if self.fresh_contexts:
                    pages[0].wait_for_timeout(100)  # console lines can trail the promise
                    self._close()
            if self._pages:
                self._pages[0].wait_for_timeout(300)  # let the last console lines arrive
        finally:
            self._close()
        return {s.id: self._observation(s, results[s.id]) for s in scenarios}

    def _observation(self, scenario: Scenario, result: dict[str, Any]) -> Observation:
        marker = f"/s/{scenario.id}/"
        observation = Observation(
            id=scenario.id,
            resolved=bool(result["resolved"]),
            error=result.get("error"),
            status=result.get("status"),
            response_type=result.get("type"),
            final_url=result.get("url"),
            readable_headers=sorted(result["headers"]) if result["resolved"] else None,
            requests=self.server.recorder.under(marker),
            uncaught=self._uncaught.get(scenario.id, []),
        )
        for _kind, text, location in self._console:
            if marker not in text and marker not in location:
                continue
            if text.startswith(CORS_PREFIXES):
                observation.console.append(text)
            else:
                observation.console_other.append(text)
        return observation

    def _pool(self) -> list[Any]:
        while len(self._pages) < self.workers:
            self._pages.append(self._new_page(len(self._pages)))
        return self._pages

    def _fresh_pages(self, count: int) -> list[Any]:
        self._pages = [self._new_page(slot) for slot in range(count)]
        return self._pages

    def _new_page(self, slot: int) -> Any:
        context = self.browser.new_context()
        page = context.new_page()
        page.on("console", self._on_console)
        # Uncaught rejections are not console events in Playwright; DevTools prints them as
        # exceptionDetails.text followed by the first line of the exception's description.
        cdp = context.new_cdp_session(page)
        cdp.on("Runtime.exceptionThrown", lambda event: self._on_exception(slot, event))
        cdp.send("Runtime.enable")
        page.goto(self.server.origins["page"] + "/")
        return page

    def _on_exception(self, slot: int, event: dict[str, Any]) -> None:
        details = event["exceptionDetails"]
        description = details.get("exception", {}).get("description", "").split("\n")[0]
        text = f"{details['text']} {description}".strip()
        self._uncaught.setdefault(self._running.get(slot, "?"), []).append(text)

    def _on_console(self, message: Any) -> None:
        self._console.append((message.type, message.text, message.location.get("url", "")))

    def _close(self) -> None:
        for page in self._pages:
            page.context.close()
        self._pages = []


def observe(
    browser: Any, server: ScriptedServer, scenarios: Iterable[Scenario], **options: Any
) -> dict[str, Observation]:
    """Run ``scenarios`` in ``browser`` and return what Chromium did, by scenario id."""
    return ChromiumRunner(browser, server, **options).run(list(scenarios))
