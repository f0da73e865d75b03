"""Erase personal data past its retention; Celery beat runs the same daily."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from privacy.services import personal_data_purge


class Command(BaseCommand):
    help = (
        "Erase personal data RETENTION_MONTHS after the person's last appointment "
        "(and the identity copied onto each appointment RETENTION_MONTHS after it), "
        "and accounts never confirmed after ACCOUNTS_UNCONFIRMED_DAYS."
    )

    def handle(self, *args, **options) -> None:
        result = personal_data_purge()
        self.stdout.write(
            f"Retention {settings.RETENTION_MONTHS} months: "
            f"{result.unconfirmed_deleted} unconfirmed account(s) deleted, "
            f"{result.accounts_erased} account(s) and {result.walk_ins_erased} walk-in "
            f"record(s) erased, {result.messages_scrubbed} message(s) blanked, "
            f"{result.claims_deleted} refused identity claim(s) deleted, "
            f"{result.appointments_erased} appointment(s) past retention anonymised; "
            f"audit trail ({settings.AUDIT_RETENTION_MONTHS} months): "
            f"{result.audit_rows_deleted} row(s) deleted."
        )
