"""Identities: who a person is, as the counter checks it.

``normalize`` (what is compared between identities) and ``Identity`` (the six
fields as one value) are re-exported here, since ``booking.models`` needs them
while the models load. The forms and pages are
imported from their modules (``booking.identity.views``, ...), which need the
models; the services that record and correct identities are booking's
(``booking.services.identities``, ``booking.services.corrections``).
"""

from booking.identity.normalize import (
    document_number_error,
    identity_key,
    normalize_document_number,
    normalize_name,
)
from booking.identity.value import IDENTITY_FIELDS, Identity

__all__ = [
    "IDENTITY_FIELDS",
    "Identity",
    "document_number_error",
    "identity_key",
    "normalize_document_number",
    "normalize_name",
]
