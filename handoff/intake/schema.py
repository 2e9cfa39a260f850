"""The platform API's bodies. These models validate requests *and* generate the OpenAPI document,
so the two cannot drift apart."""

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# handoff.models.Tier and WithdrawReason, spelled as Literals so this module needs no Django and
# the OpenAPI document lists the values inline; tests/handoff/test_tiers.py keeps them equal.
RiskLevel = Literal["low", "moderate", "high", "imminent"]
WithdrawReasonValue = Literal["user_left", "consent_revoked", "resolved_elsewhere"]
# What a platform may send: the counselor's role is the console's own.
PlatformMessageRole = Literal["user", "assistant"]

# Printable text without NUL or other control characters (except tab/newline in free text).
_NO_CONTROL = re.compile(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")

# What a single-line structured field (a name, an address part, an id) refuses: control
# characters (C0, DEL, C1 with its line break U+0085), and characters that are invisible or
# reorder what is around them: soft hyphen, combining grapheme joiner, the Arabic letter mark,
# the Mongolian vowel separator, zero-width spaces and joiners, the directional marks, embeddings,
# overrides and isolates, the line and paragraph separators, word joiners and invisible operators,
# the byte order mark, interlinear annotations and tag characters. Shown, they could make a
# counselor read a postal code or a name other than the one sent. Free text (the transcript, the
# consent statement) keeps them verbatim; the case page shows them visibly. The zero-width
# non-joiner and joiner are part of how Persian and several Indic names are spelled: they pass
# between two letters, where they cannot reorder anything, and nowhere else.
INVISIBLE_OR_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f"
    r"\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
    r"|(?<![^\W\d_])[\u200c\u200d]|[\u200c\u200d](?![^\W\d_])"
)
SINGLE_LINE_RULE = "one line of visible text: no control, invisible or direction-control characters"


def _single_line(value: str) -> str:
    if INVISIBLE_OR_CONTROL.search(value):
        raise PydanticCustomError("single_line_text", f"Must be {SINGLE_LINE_RULE}.")
    return value


# Every date a platform sends is bounded: PostgreSQL stores years Python cannot read back (a
# year-10000 value made a case, and every job that read it, fail), and a date before the
# platforms existed or ahead of the clock is a sender's bug. FUTURE_SKEW allows for clocks a
# little ahead of the console's.
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(minutes=10)
DATE_RULE = (
    f"An ISO 8601 date-time with its UTC offset, not before {EARLIEST_DATE:%Y-%m-%d} UTC and at "
    f"most {int(FUTURE_SKEW.total_seconds() // 60)} minutes ahead of the console's clock."
)


def _bounded_date(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past the year 9999 in UTC
        utc = None
    if utc is None or not EARLIEST_DATE <= utc <= datetime.now(tz=UTC) + FUTURE_SKEW:
        raise PydanticCustomError(
            "date_out_of_range",
            f"Must be from {EARLIEST_DATE:%Y-%m-%d} UTC to "
            f"{int(FUTURE_SKEW.total_seconds() // 60)} minutes after the console's clock.",
        )
    return utc


BoundedDatetime = Annotated[
    AwareDatetime, AfterValidator(_bounded_date), Field(description=DATE_RULE)
]

E164 = Annotated[
    str,
    StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="E.164 phone number, e.g. +16145550142", examples=["+16145550142"]),
]
ShortText = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_single_line),
    Field(description=f"At most 200 characters; {SINGLE_LINE_RULE}."),
]


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
    granted_at: BoundedDatetime | None = None
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
        Annotated[
            str,
            StringConstraints(max_length=16),
            AfterValidator(_single_line),
            Field(description=f"At most 16 characters; {SINGLE_LINE_RULE}."),
        ]
        | None
    ) = None


class Geo(_Open):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float, Field(ge=0, le=1_000_000)] | None = None
    captured_at: BoundedDatetime | None = None


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
    role: PlatformMessageRole
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=20_000, pattern=_NO_CONTROL.pattern)
    ]
    at: BoundedDatetime


class UserMessage(_Strict):
    role: Literal["user"]
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=20_000, pattern=_NO_CONTROL.pattern)
    ]
    at: BoundedDatetime


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
METADATA_RULE = "finite numbers, and keys and text without control characters"


def _metadata_check(value: Any) -> None:
    """Walk the metadata (iteratively: its depth is the sender's) and refuse what cannot be
    stored and read back as sent: a number too large for a float (1e999 parses as infinity)
    and control characters, NUL included, in keys or text."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise PydanticCustomError("metadata_value", f"Metadata must hold {METADATA_RULE}.")
        if isinstance(item, str) and _CONTROL.search(item):
            raise PydanticCustomError("metadata_value", f"Metadata must hold {METADATA_RULE}.")
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class HandoffCreate(_Strict):
    """A handoff request. Unknown top-level keys are refused."""

    external_id: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    ] = Field(description="The platform's id for the conversation (printable ASCII, no spaces).")
    flagged_at: BoundedDatetime
    risk: Risk
    consent: Consent
    contact: Contact | None = None
    location: Location | None = None
    transcript: Annotated[list[Message], Field(min_length=1, max_length=2000)]
    metadata: Annotated[
        dict[str, Any], Field(max_length=50, description=f"Up to 50 keys; {METADATA_RULE}.")
    ] = {}

    @model_validator(mode="after")
    def _consent_gates_data(self) -> "HandoffCreate":
        if self.contact is not None and not self.consent.share_profile:
            raise ValueError("contact may be sent only when consent.share_profile is true")
        if self.location is not None and not self.consent.share_location:
            raise ValueError("location may be sent only when consent.share_location is true")
        return self

    @field_validator("metadata")
    @classmethod
    def _metadata_clean(cls, value: dict[str, Any]) -> dict[str, Any]:
        _metadata_check(value)
        if len(json.dumps(value)) > 16_384:
            raise ValueError("metadata must be at most 16 KiB of JSON")
        return value


class MessagesAppend(_Strict):
    messages: Annotated[list[UserMessage], Field(min_length=1, max_length=200)]


class Withdraw(_Strict):
    reason: WithdrawReasonValue


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
    updated_at: datetime | None = Field(
        description="When the case last changed; null only if its stored time cannot be read"
    )


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
