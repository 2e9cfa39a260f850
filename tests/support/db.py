from handoff.models import (
    Callback,
    Consent,
    Handoff,
    HandoffEvent,
    TranscriptMessage,
    WebhookDelivery,
)

TABLES = (Handoff, TranscriptMessage, Consent, HandoffEvent, WebhookDelivery, Callback)


def db_counts() -> dict[str, int]:
    """Row counts of everything intake writes: equal before and after means nothing changed."""
    return {model.__name__: model.objects.count() for model in TABLES}
