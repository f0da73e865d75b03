"""Every change of account state goes through these functions (one module per
section; the public names are re-exported here).

Confirmation messages (the e-mail link, the SMS code) are outbox rows written
in the same transaction as the change that owes them, and handed to Celery
once it commits (``notifications.services.enqueue_on_commit``).
"""

from accounts.services.account import account_language_set
from accounts.services.email import (
    email_change_request,
    email_confirm,
    email_confirmation_send,
    email_confirmation_token,
    email_confirmation_url,
)
from accounts.services.lockouts import account_unlock
from accounts.services.phone import (
    pending_phone_verification,
    phone_code_of,
    phone_code_send,
    phone_confirm,
)
from accounts.services.registration import account_register
from accounts.services.secrets import secret_message_context
from accounts.services.sessions import (
    api_tokens_revoke_all,
    password_changed_record,
    sessions_and_tokens_end,
)
from accounts.services.staff import (
    account_admin_saved,
    password_reset_send,
    password_set_url,
    staff_attachments_check,
    staff_create,
    staff_deactivate,
    staff_invitation_send,
    staff_otp_reset,
    staff_reactivate,
    staff_snapshot,
    staff_update,
)
from accounts.services.tokens import api_token_create, api_token_issue, api_token_revoke
from accounts.services.two_factor import (
    otp_backup_codes_regenerate,
    otp_check,
    otp_device_confirm,
    otp_device_start,
    otp_disable,
)

__all__ = [
    "_owe",
    "account_admin_saved",
    "account_language_set",
    "account_register",
    "account_unlock",
    "api_token_create",
    "api_token_issue",
    "api_token_revoke",
    "api_tokens_revoke_all",
    "email_change_request",
    "email_confirm",
    "email_confirmation_send",
    "email_confirmation_token",
    "email_confirmation_url",
    "otp_backup_codes_regenerate",
    "otp_check",
    "otp_device_confirm",
    "otp_device_start",
    "otp_disable",
    "password_changed_record",
    "password_reset_send",
    "password_set_url",
    "pending_phone_verification",
    "phone_code_of",
    "phone_code_send",
    "phone_confirm",
    "secret_message_context",
    "sessions_and_tokens_end",
    "staff_attachments_check",
    "staff_create",
    "staff_deactivate",
    "staff_invitation_send",
    "staff_otp_reset",
    "staff_reactivate",
    "staff_snapshot",
    "staff_update",
]
