"""The secret of a secret-bearing message (``accounts.messages``), derived at
each attempt from its row and ``SECRET_KEY``, in memory only."""

from __future__ import annotations

from typing import Any

from accounts.messages import EMAIL_CONFIRM, PASSWORD_RESET, PHONE_CODE, STAFF_INVITE
from accounts.models import Role
from accounts.services.email import email_confirmation_url
from accounts.services.phone import phone_code_of
from accounts.services.staff import password_set_url


def secret_message_context(message) -> dict[str, Any] | None:
    """The context ``message`` (a secret-bearing kind) is rendered from, its
    secret derived now. ``None`` when there is nothing left to derive it from
    (the account is gone, the code expired or was used): sending would be useless."""
    context = message.context or {}
    user = message.user
    if user is None or not user.is_active:
        return None
    if message.template_key == PHONE_CODE:
        code = phone_code_of(verification_id=context.get("verification"), user=user)
        if code is None:
            return None
        return {"code": code, "minutes": context.get("minutes")}
    if message.template_key == EMAIL_CONFIRM:
        if context.get("in_use"):
            # Someone asked for this address for another account: no link.
            return {"in_use": True, "is_change": True}
        return {
            "confirm_url": email_confirmation_url(
                user=user, address=context.get("address", ""), state=context.get("state", "")
            ),
            "days": context.get("days"),
            "is_change": context.get("is_change", False),
        }
    if message.template_key == STAFF_INVITE:
        return {
            "set_password_url": password_set_url(user=user),
            "hours": context.get("hours"),
            "role": Role(user.role).label if user.role in Role.values else user.role,
            "full_name": user.full_name,
        }
    if message.template_key == PASSWORD_RESET:
        if not user.has_usable_password():
            return None
        return {"reset_url": password_set_url(user=user), "hours": context.get("hours")}
    return None
