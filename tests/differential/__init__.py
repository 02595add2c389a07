"""The Chromium differential test of ``corsight.check`` (issue #3's acceptance test).

Modules, one concept each:

- ``server``: the raw scripted loopback HTTP server and its request recorder
- ``scenario``: what a scenario is (request, hops, scripted replies, placeholders)
- ``catalog``: the hand-written scenarios, rule by rule; ``generated``: the seeded random ones;
  ``scenarios``: both together
- ``routing``: maps the server's requests to the scenarios' replies and serves the page
- ``chromium``: runs scenarios in headless Chromium and records what it did
- ``kinds``: names an outcome from Chromium's console text (and flags departures from the
  reference digest)
- ``compare``: Chromium's view against ``corsight.check``'s, field by field
- ``observe``: observation mode, ``python -m tests.differential.observe``

Run the test with ``./run test tests/differential``; observe Chromium alone with
``.venv/bin/python -m tests.differential.observe [--filter ID] [--json OUT] [-v]``.
"""
