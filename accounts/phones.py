"""Mobile numbers: parsed leniently, stored in E.164, French by default."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers

from accounts.errors import InvalidPhone, PhoneRegionNotAllowed

_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalize_mobile(
    value: str, *, region: str = "FR", regions: Collection[str] | None = None
) -> str:
    """``value`` as an E.164 mobile number ("06 12 34 56 78" -> "+33612345678").

    Raises ``InvalidPhone`` for anything that is not a valid mobile number
    (a landline, a premium-rate or shared-cost number, a short code): the
    code is sent by SMS, a landline cannot receive it.

    ``regions``: only numbers of these regions (ISO codes as ``phonenumbers``
    names them) are accepted, ``PhoneRegionNotAllowed`` otherwise. A national
    number ("0690 12 34 56") is read as a number of each region in turn, so
    that an overseas mobile typed without its country code is found.
    """
    text = (value or "").strip()
    if regions is None:
        candidates = [_parse(text, region)]
    else:
        candidates = [_parse(text, code) for code in (region, *regions)]
    valid = [number for number in candidates if number is not None]
    if not valid:
        raise InvalidPhone()
    if regions is not None:
        allowed = set(regions)
        valid = [n for n in valid if phonenumbers.region_code_for_number(n) in allowed]
        if not valid:
            raise PhoneRegionNotAllowed()
    mobile = [n for n in valid if phonenumbers.number_type(n) in _MOBILE_TYPES]
    if not mobile:
        raise InvalidPhone()
    return phonenumbers.format_number(mobile[0], phonenumbers.PhoneNumberFormat.E164)
