"""Platform API v1: thin doors into handoff.intake.services.

Checks run cheapest and least revealing first: the size before the body is parsed, then the
signature (one 401 for every reason), then the content type, the rate limit, JSON, the schema.
"""

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import DataError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ValidationError

from handoff.intake import schema, services
from handoff.intake.openapi import openapi_document
from handoff.intake.ratelimit import take_token
from handoff.models import Platform, platform_status
from handoff.platforms import platform_for_request
from handoff.problems import problem
from handoff.signing import verify

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
View = Callable[..., HttpResponse]


def _unauthorized() -> JsonResponse:
    return problem(
        status=401,
        slug="unauthorized",
        title="Unauthorized",
        detail="The request's signature could not be verified for this platform.",
    )


def _not_found() -> JsonResponse:
    return problem(status=404, slug="not-found", title="Not found", detail="No such handoff.")


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over the limit. Decided on Content-Length when given."""
    limit = settings.INTAKE_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            if int(declared) > limit:
                return None
        except ValueError:
            return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def platform_endpoint(*, methods: tuple[str, ...], body: bool) -> Callable[[View], View]:
    """Authenticate a platform request; hand the view the platform and the verified body."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, platform: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = problem(
                    status=405,
                    slug="method-not-allowed",
                    title="Method not allowed",
                    detail=f"Use {' or '.join(methods)}.",
                )
                response["Allow"] = ", ".join(methods)
                return response
            raw = _read_body(request) if body else b""
            if raw is None:
                return problem(
                    status=413,
                    slug="too-large",
                    title="Request body too large",
                    detail=f"The limit is {settings.INTAKE_MAX_BODY_BYTES} bytes.",
                )
            found, secrets_ = platform_for_request(platform)
            # Unknown, inactive and badly signed all get the same answer.
            if found is None or not verify(body=raw, headers=request.headers, secrets_=secrets_):
                return _unauthorized()
            webhook_id = request.headers["webhook-id"]
            if len(webhook_id) > 255:
                return problem(
                    status=400,
                    slug="bad-webhook-id",
                    title="webhook-id too long",
                    detail="webhook-id must be at most 255 characters.",
                )
            if body:
                content_type = request.content_type or ""
                if content_type.lower() != "application/json":
                    return problem(
                        status=415,
                        slug="unsupported-media-type",
                        title="Unsupported media type",
                        detail="Send the body as application/json.",
                    )
            decision = take_token(platform_slug=found.slug, per_minute=found.rate_limit_per_minute)
            if not decision.allowed:
                return problem(
                    status=429,
                    slug="rate-limited",
                    title="Too many requests",
                    detail="This platform is over its rate limit.",
                    retry_after=decision.retry_after,
                )
            return view(request, platform=found, raw=raw, webhook_id=webhook_id, **kwargs)

        return wrapper

    return decorator


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse(raw: bytes, model: type[M]) -> M | JsonResponse:
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
        # Lone surrogates ("\ud800") parse but cannot be stored as UTF-8.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError):
        return problem(
            status=400,
            slug="invalid-json",
            title="Body is not valid JSON",
            detail="The body must be a UTF-8 JSON document.",
        )
    try:
        # JSON mode: strict types, with ISO 8601 strings accepted for datetimes.
        return model.model_validate_json(raw)
    except ValidationError as exc:
        return problem(
            status=422,
            slug="invalid-body",
            title="The body does not match the schema",
            detail=f"{exc.error_count()} field(s) failed validation.",
            errors=_field_errors(exc),
        )


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Each failing field's path and message. The input values are never echoed: they may be
    personal data."""
    errors = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = [part for part in err["loc"]]
        errors.append(
            {
                "loc": loc,
                "path": ".".join(str(p) for p in loc) or "(body)",
                "message": err["msg"],
                "type": err["type"],
            }
        )
    return errors


def _respond(answer: services.Answer) -> JsonResponse:
    response = JsonResponse(answer.body, status=answer.status)
    if answer.location:
        response["Location"] = answer.location
    return response


def _open_case_conflict(exc: services.OpenCaseExists) -> JsonResponse:
    return problem(
        status=409,
        slug="open-case-exists",
        title="An open case already has this external_id",
        detail=f"Case {exc.handoff_id} is open for this conversation.",
        handoff_id=exc.handoff_id,
    )


def _closed_conflict(exc: services.CaseClosed) -> JsonResponse:
    return problem(
        status=409,
        slug="case-not-open",
        title="The case is no longer open",
        detail=f"The case is {exc.status}; it takes no more messages.",
        status_of_case=exc.status,
    )


def _replay_or(webhook_id: str, platform: Platform) -> JsonResponse | None:
    """A redelivered webhook-id gets its first answer, before anything else is looked at."""
    if services.delivery_find(platform=platform, webhook_id=webhook_id) is None:
        return None
    return _respond(services.delivery_replay(platform=platform, webhook_id=webhook_id))


@platform_endpoint(methods=("POST",), body=True)
def handoff_create(
    request: HttpRequest, *, platform: Platform, raw: bytes, webhook_id: str
) -> HttpResponse:
    data = _parse(raw, schema.HandoffCreate)
    if isinstance(data, JsonResponse):
        # A redelivery gets its first answer even if its body would be refused now; a valid
        # body is told apart by the database (the delivery insert), at no extra query.
        return _replay_or(webhook_id, platform) or data
    try:
        answer = services.handoff_create(platform=platform, webhook_id=webhook_id, data=data)
    except services.OpenCaseExists as exc:
        return _open_case_conflict(exc)
    logger.info("handoff %s accepted (replayed=%s)", answer.body.get("id"), answer.replayed)
    return _respond(answer)


@platform_endpoint(methods=("GET",), body=False)
def handoff_status(
    request: HttpRequest, *, platform: Platform, raw: bytes, webhook_id: str, handoff_id: str
) -> HttpResponse:
    try:
        case_id = _uuid(handoff_id)
        try:
            with transaction.atomic():  # a failed read must not spoil the fallback's
                handoff = services.handoff_for_platform(
                    platform=platform, handoff_id=case_id, times=True
                )
                position = services.queue_position(handoff=handoff)
                updated_at: datetime | None = handoff.updated_at
        except DataError:
            # A stored time Python cannot hold (handoff/dbtypes.py normally loads it at an
            # edge): the status is still known, its times are not.
            logger.warning("handoff %s: status without its times (unreadable)", case_id)
            handoff = services.handoff_for_platform(platform=platform, handoff_id=case_id)
            position, updated_at = None, None
    except (services.CaseNotFound, ValueError):
        return _not_found()
    body = schema.HandoffStatusOut(
        id=str(handoff.id),
        external_id=handoff.external_id,
        status=platform_status(handoff.status),
        queue_position=position,
        updated_at=updated_at,
    )
    return JsonResponse(body.model_dump(mode="json"))


@platform_endpoint(methods=("POST",), body=True)
def handoff_messages(
    request: HttpRequest, *, platform: Platform, raw: bytes, webhook_id: str, handoff_id: str
) -> HttpResponse:
    replay = _replay_or(webhook_id, platform)
    if replay is not None:
        return replay
    data = _parse(raw, schema.MessagesAppend)
    if isinstance(data, JsonResponse):
        return data
    try:
        answer = services.messages_append(
            platform=platform, handoff_id=_uuid(handoff_id), webhook_id=webhook_id, data=data
        )
    except (services.CaseNotFound, ValueError):
        return _not_found()
    except services.CaseClosed as exc:
        return _closed_conflict(exc)
    return _respond(answer)


@platform_endpoint(methods=("POST",), body=True)
def handoff_withdraw(
    request: HttpRequest, *, platform: Platform, raw: bytes, webhook_id: str, handoff_id: str
) -> HttpResponse:
    replay = _replay_or(webhook_id, platform)
    if replay is not None:
        return replay
    data = _parse(raw, schema.Withdraw)
    if isinstance(data, JsonResponse):
        return data
    try:
        answer = services.handoff_withdraw(
            platform=platform, handoff_id=_uuid(handoff_id), webhook_id=webhook_id, data=data
        )
    except (services.CaseNotFound, ValueError):
        return _not_found()
    return _respond(answer)


def _uuid(value: str) -> str:
    return str(uuid.UUID(value))


def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 2})
