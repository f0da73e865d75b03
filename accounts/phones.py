"""Mobile numbers: parsed leniently, stored in E.164, French by default."""

from __future__ import annotations

import phonenumbers

from accounts.errors import InvalidPhone

_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def normalize_mobile(value: str, *, region: str = "FR") -> str:
    """``value`` as an E.164 mobile number ("06 12 34 56 78" -> "+33612345678").

    Raises ``InvalidPhone`` for anything that is not a valid mobile number:
    the code is sent by SMS, a landline cannot receive it.
    """
    try:
        number = phonenumbers.parse((value or "").strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
