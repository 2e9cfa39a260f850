"""The OpenAPI 3.1 document, generated from the pydantic models that validate requests."""

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from handoff.intake import schema

_REF = "#/components/schemas/{model}"

_SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "Unique per message; a redelivery reuses it and gets the first answer.",
        "schema": {"type": "string", "maxLength": 255},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds as a plain integer (ASCII digits only); refused when more "
        "than 5 minutes from the console's clock.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`.",
        "schema": {"type": "string"},
    },
]

_PATH_PARAMS = {
    "platform": {
        "name": "platform",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The platform's slug.",
    },
    "id": {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    },
}


def _problem(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return response


def _common_errors(*, body: bool) -> dict[str, Any]:
    errors = {
        "401": _problem("Bad, missing or stale signature, or unknown platform."),
        "429": _problem("Over the platform's rate limit.", retry_after=True),
        "503": _problem("Storage unavailable; nothing was stored.", retry_after=True),
    }
    if body:
        errors |= {
            "400": _problem("Not JSON."),
            "413": _problem("Body over the limit."),
            "415": _problem("Not application/json."),
            "422": _problem("The body breaks the schema; `errors` lists each field."),
        }
    return errors


def _json_body(model: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
    }


def _ok(description: str, model: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if model:
        response["content"] = {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}
    return response


@cache
def openapi_document() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [
        (schema.HandoffCreate, "validation"),
        (schema.MessagesAppend, "validation"),
        (schema.Withdraw, "validation"),
        (schema.HandoffAccepted, "serialization"),
        (schema.HandoffStatusOut, "serialization"),
        (schema.Problem, "serialization"),
    ]
    _, defs = models_json_schema(models, ref_template=_REF)
    params = [_PATH_PARAMS["platform"], *_SIGNATURE_HEADERS]
    case_params = [_PATH_PARAMS["platform"], _PATH_PARAMS["id"], *_SIGNATURE_HEADERS]
    accepted = {
        "description": "Accepted.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "status": {"type": "string"}},
                }
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Handoff Console platform API",
            "version": "1",
            "description": (
                "Platforms hand a consenting person in crisis to human counselors. Every request "
                "is signed with the Standard Webhooks scheme; GETs sign an empty body. Errors are "
                "RFC 9457 problem details. Every date-time in a body is bounded: "
                + schema.DATE_RULE
                + " Names, relationships, address parts and other single-line fields are "
                + schema.SINGLE_LINE_RULE
                + "; transcript text and the consent statement are kept verbatim."
            ),
        },
        "paths": {
            "/api/v1/platforms/{platform}/handoffs": {
                "post": {
                    "operationId": "createHandoff",
                    "summary": "Hand a conversation over to counselors",
                    "parameters": params,
                    "requestBody": _json_body("HandoffCreate"),
                    "responses": {
                        "202": _ok(
                            "Stored and queued. `Location` is the status URL.", "HandoffAccepted"
                        )
                        | {"headers": {"Location": {"schema": {"type": "string"}}}},
                        "409": _problem("An open case already has this external_id."),
                        **_common_errors(body=True),
                    },
                }
            },
            "/api/v1/platforms/{platform}/handoffs/{id}": {
                "get": {
                    "operationId": "getHandoffStatus",
                    "summary": "A handoff's status and queue position",
                    "parameters": case_params,
                    "responses": {
                        "200": _ok("The status.", "HandoffStatusOut"),
                        "404": _problem("No such handoff for this platform."),
                        **_common_errors(body=False),
                    },
                }
            },
            "/api/v1/platforms/{platform}/handoffs/{id}/messages": {
                "post": {
                    "operationId": "appendMessages",
                    "summary": "More messages from the person while waiting or in contact",
                    "parameters": case_params,
                    "requestBody": _json_body("MessagesAppend"),
                    "responses": {
                        "202": accepted,
                        "404": _problem("No such handoff for this platform."),
                        "409": _problem("The case is closed or withdrawn."),
                        **_common_errors(body=True),
                    },
                }
            },
            "/api/v1/platforms/{platform}/handoffs/{id}/withdraw": {
                "post": {
                    "operationId": "withdrawHandoff",
                    "summary": "The person left or revoked consent",
                    "parameters": case_params,
                    "requestBody": _json_body("Withdraw"),
                    "responses": {
                        "202": accepted,
                        "404": _problem("No such handoff for this platform."),
                        **_common_errors(body=True),
                    },
                }
            },
        },
        "components": {"schemas": defs["$defs"]},
    }
