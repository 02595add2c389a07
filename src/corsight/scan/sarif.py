"""SARIF 2.1.0 output, for code-scanning dashboards: one rule per misconfiguration class, one
result per finding (located at the scanned URL), unreachable targets as tool notifications."""

from __future__ import annotations

import hashlib
from typing import Any

from corsight.scan.classes import CLASSES, MisconfigClass
from corsight.scan.runner import ScanReport
from corsight.scan.severity import SARIF_LEVEL, SECURITY_SEVERITY

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule(cls: MisconfigClass) -> dict[str, Any]:
    return {
        "id": cls.id,
        "name": "".join(part.capitalize() for part in cls.id.split("-")),
        "shortDescription": {"text": cls.title},
        "fullDescription": {"text": cls.description},
        "help": {"text": f"Fix: {cls.fix}", "markdown": f"**Fix:** {cls.fix}"},
        "defaultConfiguration": {"level": SARIF_LEVEL[cls.cap]},
        "properties": {
            "tags": ["security", "cors", "external/cwe/cwe-942"],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[cls.cap],
        },
    }


def to_sarif(report: ScanReport) -> dict[str, Any]:
    ids = list(CLASSES)
    data = report.to_dict()
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for target in report.results:
        if target.error is not None:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f"{target.url}: {target.error}"},
                    "descriptor": {"id": "unreachable-target"},
                }
            )
            continue
        for finding in target.findings:
            found = finding.to_dict()
            fingerprint = hashlib.sha256(f"{finding.url}\n{finding.class_id}".encode()).hexdigest()
            results.append(
                {
                    "ruleId": finding.class_id,
                    "ruleIndex": ids.index(finding.class_id),
                    "level": SARIF_LEVEL[finding.severity],
                    "message": {"text": f"{finding.cls.title}: {finding.explanation} Fix: {finding.cls.fix}"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": finding.url}}}],
                    "partialFingerprints": {"corsightFinding/v1": fingerprint},
                    "properties": {
                        "severity": finding.severity.label,
                        "security-severity": SECURITY_SEVERITY[finding.severity],
                        "probe": found["probe"],
                        "response": found["response"],
                        "readable": found["readable"],
                        "alsoAccepted": found["also_accepted"],
                    },
                }
            )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "corsight",
                        "semanticVersion": data["version"],
                        "rules": [_rule(CLASSES[i]) for i in ids],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                "properties": {"summary": data["summary"]},
            }
        ],
    }
