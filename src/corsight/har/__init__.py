"""``corsight.har``: which cross-origin requests of a HAR file failed, why, and the fix.

:mod:`~corsight.har.file` reads and validates the file into typed records,
:mod:`~corsight.har.analysis` replays each cross-origin request through the browser model, and
:mod:`~corsight.har.cli` is the command.
"""

from corsight.har.analysis import Report, RequestReport, analyze_file, analyze_har, check_command
from corsight.har.file import MAX_HAR_BYTES, Har, HarEntry, HarError, load, parse, read_json

__all__ = [
    "MAX_HAR_BYTES",
    "Har",
    "HarEntry",
    "HarError",
    "Report",
    "RequestReport",
    "analyze_file",
    "analyze_har",
    "check_command",
    "load",
    "parse",
    "read_json",
]
