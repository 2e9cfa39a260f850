"""A supervisor's review of a case that needs one (an emergency, a lowered tier, a withdrawal
after claim). The first review is the sign-off; later ones append comments. None is edited: only
a comment's ciphertext may change, re-encrypted under a new key or erased with its case's
content (PostgreSQL's trigger, migration 0014, allows those two and nothing else)."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.crypto import EncryptedTextField


class Review(models.Model):
    handoff = models.ForeignKey("handoff.Handoff", on_delete=models.CASCADE, related_name="reviews")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)
    # Free text about the counselor's work may name the person: encrypted like notes.
    comment = EncryptedTextField()
    # The first review of a case signs it off; the database keeps it to one.
    sign_off = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["handoff"], condition=Q(sign_off=True), name="review_one_sign_off"
            )
        ]

    def __str__(self) -> str:
        return f"review {self.pk} of {self.handoff_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A review is a sign-off: it is never edited, only followed by another")
        super().save(*args, **kwargs)
