"""Export, deletion and retention of personal data; the public names of each
module re-exported."""

from privacy.services.erasure import Erasure, account_delete, account_erase
from privacy.services.export import personal_data_export
from privacy.services.retention import Purge, months_before, personal_data_purge

__all__ = [
    "Erasure",
    "Purge",
    "account_delete",
    "account_erase",
    "months_before",
    "personal_data_export",
    "personal_data_purge",
]
