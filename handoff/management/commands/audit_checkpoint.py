from typing import Any

from django.core.management.base import BaseCommand

from handoff.audit.checkpoints import checkpoints_record


class Command(BaseCommand):
    help = (
        "Sign the heads of the event chains that grew since the last checkpoint (the periodic "
        "job does this every AUDIT_CHECKPOINT_SECONDS); prints each checkpoint and its hash."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        made = checkpoints_record()
        for checkpoint in made:
            self.stdout.write(
                f"checkpoint {checkpoint.seq}: {len(checkpoint.heads)} chain(s), "
                f"hash {checkpoint.hash}"
            )
        if not made:
            self.stdout.write("no chain grew since the last checkpoint")
