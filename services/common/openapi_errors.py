"""The error shape both HTTP services answer with, documented in their OpenAPI documents.

The gateway and the evaluation service send every refusal as ``{"error": {"code",
"message"}}``; one description of it keeps their documents (and the fuzz tests that hold
answers to them) in step.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# The body every refusal has, as JSON Schema for the OpenAPI document.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def document_error_shape(app: FastAPI) -> None:
    """Say in the OpenAPI document what every operation may answer: any 4xx in the error
    shape (FastAPI's own 422 schema is not what the services' handlers send) and 503."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        error = {"content": {"application/json": {"schema": ERROR_SCHEMA}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Malformed request", **error}
                responses.setdefault(
                    "4XX", {"description": "Refused; the message says why", **error}
                )
                responses.setdefault(
                    "503", {"description": "Unavailable; retry after `Retry-After`", **error}
                )
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
