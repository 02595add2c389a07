"""JSON Schemas the scan reports are validated against.

SARIF: the official SARIF 2.1.0 schema (OASIS) is not vendored here: the sarif-spec repository
is under OASIS's IPR policy, not an open-source licence that clearly allows copying. This is
our own statement of the structure SARIF 2.1.0 requires (sarifLog, run, tool.driver,
reportingDescriptor, result, location, notification) and of what GitHub code scanning reads.
"""

from __future__ import annotations

from typing import Any

_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}, "markdown": {"type": "string"}},
}
_LEVEL: dict[str, Any] = {"enum": ["none", "note", "warning", "error"]}

SARIF_2_1_0_ESSENTIALS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "semanticVersion": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string", "minLength": 1},
                                                "name": {"type": "string"},
                                                "shortDescription": _MESSAGE,
                                                "fullDescription": _MESSAGE,
                                                "help": _MESSAGE,
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": _LEVEL},
                                                },
                                                "properties": {
                                                    "type": "object",
                                                    "properties": {
                                                        "tags": {
                                                            "type": "array",
                                                            "items": {"type": "string"},
                                                        },
                                                        "security-severity": {
                                                            "type": "string",
                                                            "pattern": r"^(10(\.0)?|[0-9](\.[0-9])?)$",
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {
                                "executionSuccessful": {"type": "boolean"},
                                "toolExecutionNotifications": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["message"],
                                        "properties": {"message": _MESSAGE, "level": _LEVEL},
                                    },
                                },
                            },
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message", "ruleId", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": _LEVEL,
                                "message": _MESSAGE,
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {
                                                            "uri": {"type": "string", "format": "uri"}
                                                        },
                                                    }
                                                },
                                            }
                                        },
                                    },
                                },
                                "partialFingerprints": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "properties": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    },
}

_SEVERITY: dict[str, Any] = {"enum": ["high", "medium", "low", "info"]}
_HEADER_LIST: dict[str, Any] = {
    "type": "array",
    "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}], "minItems": 2},
}

SCAN_REPORT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["tool", "version", "summary", "results"],
    "properties": {
        "tool": {"const": "corsight scan"},
        "summary": {
            "type": "object",
            "required": ["targets", "scanned", "errors", "findings", "requests", "seconds"],
            "properties": {
                "findings": {
                    "type": "object",
                    "required": ["high", "medium", "low", "info"],
                    "additionalProperties": {"type": "integer", "minimum": 0},
                }
            },
        },
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url", "status", "error", "tested", "not_applicable", "implied", "findings"],
                "properties": {
                    "status": {"enum": ["scanned", "error"]},
                    "error": {"type": ["string", "null"]},
                    "tested": {"type": "array", "items": {"type": "string"}},
                    "implied": {"type": "object", "additionalProperties": {"type": "string"}},
                    "findings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "class",
                                "title",
                                "severity",
                                "url",
                                "explanation",
                                "fix",
                                "probe",
                                "response",
                                "readable",
                            ],
                            "properties": {
                                "severity": _SEVERITY,
                                "explanation": {"type": "string", "minLength": 10},
                                "fix": {"type": "string", "minLength": 10},
                                "probe": {
                                    "type": "object",
                                    "required": ["origin", "method", "url", "request_headers"],
                                    "properties": {"request_headers": _HEADER_LIST},
                                },
                                "response": {
                                    "type": "object",
                                    "required": ["status", "headers"],
                                    "properties": {"headers": _HEADER_LIST},
                                },
                                "readable": {
                                    "type": "object",
                                    "required": ["with_credentials", "without_credentials"],
                                },
                                "implied": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
    },
}
