"""A sample handoff body for the demo and the README's example. Fictional person and place."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def sample_handoff(*, level: str = "high") -> dict[str, Any]:
    now = datetime.now(tz=UTC).replace(microsecond=0)

    def at(seconds_ago: int) -> str:
        return (now - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")

    return {
        "external_id": f"conv_{uuid.uuid4().hex[:12]}",
        "flagged_at": at(60),
        "risk": {
            "level": level,
            "score": 0.91,
            "model": "demo-safety-1",
            "categories": ["suicide"],
        },
        "consent": {
            "contact": True,
            "share_profile": True,
            "share_location": True,
            "granted_at": at(30),
            "statement": "I agree to talk to a crisis counselor, who may call me.",
        },
        "contact": {
            "preferred_channel": "phone",
            "phone": "+16145550142",
            "phone_verified": True,
            "name": "Sam",
            "language": "en",
        },
        "location": {
            "civic": {
                "country": "US",
                "state": "OH",
                "county": "Franklin",
                "city": "Columbus",
                "street": "123 Main St",
                "unit": "4B",
                "postal_code": "43215",
            },
            "source": "device",
        },
        "transcript": [
            {"role": "user", "text": "I do not want to be here tomorrow.", "at": at(120)},
            {
                "role": "assistant",
                "text": "I'm really glad you told me. Can I connect you "
                "with a person who can help right now?",
                "at": at(110),
            },
            {"role": "user", "text": "ok. I have a bottle of pills next to me.", "at": at(90)},
        ],
        "metadata": {},
    }
