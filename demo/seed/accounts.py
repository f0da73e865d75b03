"""The demo accounts: one per staff role, each with a TOTP device on a public key.

Found by e-mail, so a second run updates them instead of adding others. Every
demo account gets the run's password (``passwords_set``), so the credentials
the command prints are always the right ones.
"""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from booking.models import Site
from mediation.models import AccessPoint

DEMO_DOMAIN = "demo.guichet.test"
DEMO_PASSWORD = "guichet-demo-93"  # noqa: S105 - demo data; refused when DEBUG is off

AGENT_EMAIL = f"agent@{DEMO_DOMAIN}"
MEDIATOR_EMAIL = f"mediator@{DEMO_DOMAIN}"
SUPERVISOR_EMAIL = f"supervisor@{DEMO_DOMAIN}"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
APPLICANT_EMAIL = f"applicant@{DEMO_DOMAIN}"
# Staff must pass a second factor. Demo staff share this TOTP key (RFC 6238's own
# test key, public on purpose) so that a demo needs no phone: add it to any
# authenticator app, or run `python manage.py demo_otp` for the current codes.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
DEMO_OTP_DEVICE = "demo"


def account_ensure(email: str, password_hash: str, **fields) -> User:
    """The account ``email`` with ``fields``; a new one gets ``password_hash``."""
    user, _created = User.objects.update_or_create(
        email=email, defaults=fields, create_defaults={**fields, "password": password_hash}
    )
    return user


def staff_accounts_ensure(
    *, password_hash: str, sites: list[Site], access_point: AccessPoint
) -> dict[str, User]:
    """The agent (of every site), the mediator (of ``access_point``), the
    supervisor and the administrator, by role, each with a demo TOTP device."""
    agent = account_ensure(
        AGENT_EMAIL, password_hash, role=Role.AGENT, full_name="Agent de démonstration"
    )
    agent.sites.set(sites)
    mediator = account_ensure(
        MEDIATOR_EMAIL,
        password_hash,
        role=Role.MEDIATOR,
        full_name="Médiatrice de démonstration",
        access_point=access_point,
    )
    supervisor = account_ensure(
        SUPERVISOR_EMAIL,
        password_hash,
        role=Role.SUPERVISOR,
        full_name="Superviseuse de démonstration",
    )
    admin = account_ensure(
        ADMIN_EMAIL,
        password_hash,
        role=Role.SUPERVISOR,
        full_name="Administrateur de démonstration",
        is_staff=True,
        is_superuser=True,
    )
    accounts = {"agent": agent, "mediator": mediator, "supervisor": supervisor, "admin": admin}
    for user in accounts.values():
        TOTPDevice.objects.get_or_create(
            user=user,
            name=DEMO_OTP_DEVICE,
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
        )
    return accounts


def passwords_set(*, password_hash: str) -> None:
    """Give every demo account ``password_hash``: the printed password stays true."""
    User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exclude(password=password_hash).update(
        password=password_hash
    )
