# A refused attempt on a case is an event in its log (handoff.events.refusal_record).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0008_handoff_autovacuum"),
    ]

    operations = [
        migrations.AlterField(
            model_name="handoffevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("duplicate_delivery", "Duplicate delivery"),
                    ("messages_added", "Messages added"),
                    ("withdrawn", "Withdrawn"),
                    ("withdraw_after_claim", "Platform withdrew after claim"),
                    ("claimed", "Claimed"),
                    ("released", "Released"),
                    ("transferred", "Transferred"),
                    ("tier_changed", "Tier changed"),
                    ("target_breached", "Target time breached"),
                    ("summary_ready", "Summary ready"),
                    ("summary_failed", "Summary unavailable"),
                    ("viewed", "Viewed"),
                    ("viewed_personal", "Viewed personal data"),
                    ("exported", "Exported"),
                    ("access_refused", "Access refused"),
                    ("contact_attempt", "Contact attempt"),
                    ("note_added", "Note added"),
                    ("note_edited", "Note edited"),
                    ("assessment_recorded", "Risk assessment recorded"),
                    ("message_relayed", "Message relayed"),
                    ("mobile_crisis_requested", "Mobile crisis team requested"),
                    ("mobile_crisis_update", "Mobile crisis team update"),
                    ("emergency_call_recorded", "Emergency call recorded"),
                    ("emergency_confirmation", "Emergency contact confirmation"),
                    ("confirmation_overdue", "Emergency confirmation overdue"),
                    ("follow_up_due", "Follow-up due"),
                    ("amended", "Amended by supervisor"),
                    ("closed", "Closed"),
                ],
                max_length=32,
            ),
        ),
    ]
