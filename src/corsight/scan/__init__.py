"""``corsight scan``: find the CORS misconfigurations that let a hostile page read data.

Probes for every known class, judged by the browser model (:mod:`corsight.browser`):
what a page of a hostile origin could read, with and without the victim's credentials.

- :mod:`~corsight.scan.target` — the URL, its registrable domain (Public Suffix List), internal or not
- :mod:`~corsight.scan.classes` — the misconfiguration classes, their fixes
- :mod:`~corsight.scan.probes` — the origins and preflights each class is tested with
- :mod:`~corsight.scan.transport` — async HTTP: limits, politeness, ``--resolve``, retries
- :mod:`~corsight.scan.exchange` — one probe through the browser model
- :mod:`~corsight.scan.findings` — outcomes to findings, folding and evidence
- :mod:`~corsight.scan.severity` — severity from what could be read
- :mod:`~corsight.scan.runner` — the scan of many URLs
- :mod:`~corsight.scan.sarif`, :mod:`~corsight.scan.table` — reports
"""

from corsight.scan.classes import CLASSES, MisconfigClass
from corsight.scan.findings import Finding
from corsight.scan.runner import ScanOptions, ScanReport, TargetResult, scan, scan_async
from corsight.scan.severity import Severity
from corsight.scan.transport import TransportOptions

__all__ = [
    "CLASSES",
    "Finding",
    "MisconfigClass",
    "ScanOptions",
    "ScanReport",
    "Severity",
    "TargetResult",
    "TransportOptions",
    "scan",
    "scan_async",
]
