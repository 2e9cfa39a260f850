"""The platform API's bodies. These models validate requests *and* generate the OpenAPI document,
so the two cannot drift apart."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

RiskLevel = Literal["low", "moderate", "high", "imminent"]
MessageRole = Literal["user", "assistant"]

# Printable text without NUL or other control characters (except tab/newline in free text).
_NO_CONTROL = re.compile(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
_SINGLE_LINE = re.compile(r"^[^\x00-\x1f\x7f]*$")

E164 = Annotated[
    str,
    StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="E.164 phone number, e.g. +16145550142", examples=["+16145550142"]),
]
ShortText = Annotated[str, StringConstraints(max_length=200, pattern=_SINGLE_LINE.pattern)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Open(BaseModel):
    # Nested objects tolerate keys a newer platform may add; only the top level is closed.
    model_config = ConfigDict(extra="ignore", strict=True)


class Risk(_Open):
    level: RiskLevel
    score: Annotated[float, Field(ge=0, le=1)] | None = None
    model: ShortText | None = None
    categories: Annotated[
        list[
            Annotated[
                str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
            ]
        ],
        Field(max_length=32),
    ] = []


class Consent(_Open):
    contact: Literal[True] = Field(
        description="The user agreed to be contacted by a counselor. Must be true."
    )
    share_profile: bool = False
    share_location: bool = False
    granted_at: AwareDatetime | None = None
    statement: Annotated[str, StringConstraints(max_length=4000, pattern=_NO_CONTROL.pattern)] = ""


class EmergencyContact(_Open):
    name: ShortText | None = None
    relationship: ShortText | None = None
    phone: E164


class Contact(_Open):
    preferred_channel: Literal["phone", "text", "chat"] = "chat"
    phone: E164 | None = None
    phone_verified: bool = False
    name: ShortText | None = None
    language: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] | None
    ) = None
    emergency_contacts: Annotated[list[EmergencyContact], Field(max_length=10)] = []


class Civic(_Open):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    state: ShortText | None = None
    county: ShortText | None = None
    city: ShortText | None = None
    street: ShortText | None = None
    unit: ShortText | None = None
    postal_code: (
        Annotated[str, StringConstraints(max_length=16, pattern=_SINGLE_LINE.pattern)] | None
    ) = None


class Geo(_Open):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    captured_at: AwareDatetime | None = None


class Location(_Open):
    civic: Civic | None = None
    geo: Geo | None = None
    source: Literal["device", "ip", "user", "platform"] | None = None

    @model_validator(mode="after")
    def _civic_or_geo(self) -> "Location":
        if self.civic is None and self.geo is None:
            raise ValueError("location needs civic, geo, or both")
        return self


class Message(_Strict):
    role: MessageRole
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=20_000, pattern=_NO_CONTROL.pattern)
    ]
    at: AwareDatetime


class UserMessage(_Strict):
    role: Literal["user"]
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=20_000, pattern=_NO_CONTROL.pattern)
    ]
    at: AwareDatetime


class HandoffCreate(_Strict):
    """A handoff request. Unknown top-level keys are refused."""

    external_id: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    ] = Field(description="The platform's id for the conversation (printable ASCII, no spaces).")
    flagged_at: AwareDatetime
    risk: Risk
    consent: Consent
    contact: Contact | None = None
    location: Location | None = None
    transcript: Annotated[list[Message], Field(min_length=1, max_length=2000)]
    metadata: Annotated[dict[str, Any], Field(max_length=50)] = {}

    @model_validator(mode="after")
    def _consent_gates_data(self) -> "HandoffCreate":
        if self.contact is not None and not self.consent.share_profile:
            raise ValueError("contact may be sent only when consent.share_profile is true")
        if self.location is not None and not self.consent.share_location:
            raise ValueError("location may be sent only when consent.share_location is true")
        return self

    @field_validator("metadata")
    @classmethod
    def _metadata_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        import json

        if len(json.dumps(value)) > 16_384:
            raise ValueError("metadata must be at most 16 KiB of JSON")
        return value


class MessagesAppend(_Strict):
    messages: Annotated[list[UserMessage], Field(min_length=1, max_length=200)]


class Withdraw(_Strict):
    reason: Literal["user_left", "consent_revoked", "resolved_elsewhere"]


# --- Responses (documented in OpenAPI; built by the views) -----------------------------------

HandoffStatus = Literal["queued", "claimed", "in_contact", "closed", "withdrawn"]


class HandoffAccepted(BaseModel):
    id: str
    status: HandoffStatus
    status_url: str


class HandoffStatusOut(BaseModel):
    id: str
    external_id: str
    status: HandoffStatus
    queue_position: int | None = Field(description="1-based position while queued, else null")
    updated_at: datetime


class FieldError(BaseModel):
    loc: list[str | int]
    path: str
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    handoff_id: str | None = None
