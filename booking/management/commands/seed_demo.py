"""``python manage.py seed_demo``: the Seine-Saint-Denis demonstration data.

Sites, procedures, access points, four weeks of capacity (published through
``booking.services.slots_publish``, like an agent would), one account per role
and, with ``--applicants N``, N applicants with complete identities.

Idempotent: sites, procedures and access points are found by slug, accounts
and applicants by e-mail; capacity is only published after the last day that
already has some. Running it twice creates nothing twice. Every demo account
gets the password given with ``--password`` (or the demo default) on each run,
so the credentials printed at the end are always the right ones.

The addresses of the access points are plausible demo data, not a directory.
"""

from __future__ import annotations

import re
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from booking.models import Applicant, DocumentType, Procedure, RequiredDocument, Site, Slot
from booking.services import OpeningRange, applicant_create, slots_publish
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
_NUMBERED_APPLICANT = re.compile(rf"^applicant(\d+)@{re.escape(DEMO_DOMAIN)}$")

SITES = [
    {
        "slug": "bobigny",
        "name": "Préfecture de la Seine-Saint-Denis",
        "address": "1 esplanade Jean Moulin",
        "postcode": "93000",
        "city": "Bobigny",
        "access_info": "Métro ligne 5, station Bobigny - Pablo Picasso ; tramway T1, "
        "arrêt Hôtel de Ville de Bobigny.",
    },
    {
        "slug": "le-raincy",
        "name": "Sous-préfecture du Raincy",
        "address": "4 allée de Verdun",
        "postcode": "93340",
        "city": "Le Raincy",
        "access_info": "RER E, gare du Raincy - Villemomble - Montfermeil, puis 10 minutes à pied.",
    },
    {
        "slug": "saint-denis",
        "name": "Sous-préfecture de Saint-Denis",
        "address": "29 rue de la Légion d'Honneur",
        "postcode": "93200",
        "city": "Saint-Denis",
        "access_info": "Métro ligne 13, station Basilique de Saint-Denis ; "
        "RER D, gare de Saint-Denis.",
    },
]

PROCEDURES = [
    {
        "slug": "premiere-demande",
        "name": "Première demande de titre de séjour",
        "description": "Dépôt d'une première demande de carte de séjour, pour une personne "
        "qui n'a jamais eu de titre de séjour en France.",
        "duration_minutes": 30,
        "required_document": RequiredDocument.PASSPORT,
        "self_booking": True,
        "horizon_days": 60,
        "cutoff_hours": 24,
        "documents_to_bring": [
            "Passeport en cours de validité (pages d'identité, visas et tampons d'entrée)",
            "Acte de naissance avec filiation, traduit par un traducteur agréé",
            "Justificatif de domicile de moins de 3 mois",
            "3 photographies d'identité récentes et conformes aux normes",
            "Justificatifs du motif du séjour (travail, études, vie privée et familiale)",
        ],
    },
    {
        "slug": "renouvellement",
        "name": "Renouvellement de titre de séjour",
        "description": "À demander entre le 120e et le 60e jour avant l'expiration du titre "
        "actuel : une demande tardive coûte une taxe supplémentaire.",
        "duration_minutes": 20,
        "required_document": RequiredDocument.AGDREF,
        "self_booking": True,
        "horizon_days": 90,
        "cutoff_hours": 24,
        "documents_to_bring": [
            "Titre de séjour actuel (ou récépissé en cours de validité)",
            "Passeport en cours de validité",
            "Justificatif de domicile de moins de 3 mois",
            "3 photographies d'identité récentes et conformes aux normes",
            "Justificatifs du maintien des conditions du titre (contrat de travail, "
            "certificat de scolarité…)",
        ],
    },
    {
        "slug": "remise-de-titre",
        "name": "Remise de titre de séjour",
        "description": "Retrait du titre de séjour fabriqué, après le SMS qui annonce "
        "qu'il est disponible.",
        "duration_minutes": 10,
        "required_document": RequiredDocument.AGDREF,
        "self_booking": True,
        "horizon_days": 30,
        "cutoff_hours": 2,
        "documents_to_bring": [
            "SMS ou courrier annonçant que le titre est disponible",
            "Récépissé ou attestation de dépôt de la demande",
            "Passeport ou pièce d'identité",
            "Ancien titre de séjour, s'il s'agit d'un renouvellement",
            "Timbres fiscaux du montant de la taxe due",
        ],
    },
    {
        "slug": "duplicata",
        "name": "Duplicata de titre de séjour (perte, vol ou détérioration)",
        "description": "Remplacement d'un titre de séjour perdu, volé ou abîmé.",
        "duration_minutes": 20,
        "required_document": RequiredDocument.AGDREF,
        "self_booking": True,
        "horizon_days": 60,
        "cutoff_hours": 24,
        "documents_to_bring": [
            "Déclaration de perte, ou récépissé de plainte en cas de vol",
            "Titre abîmé, en cas de détérioration",
            "Passeport ou pièce d'identité",
            "Justificatif de domicile de moins de 3 mois",
            "3 photographies d'identité récentes et conformes aux normes",
            "Timbre fiscal du duplicata",
        ],
    },
    {
        "slug": "changement-adresse",
        "name": "Changement d'adresse sur le titre de séjour",
        "description": "Mise à jour de l'adresse inscrite sur un titre de séjour en cours "
        "de validité, après un déménagement.",
        "duration_minutes": 15,
        "required_document": RequiredDocument.AGDREF,
        "self_booking": True,
        "horizon_days": 60,
        "cutoff_hours": 24,
        "documents_to_bring": [
            "Titre de séjour en cours de validité",
            "Justificatif du nouveau domicile de moins de 3 mois",
            "Passeport ou pièce d'identité",
            "1 photographie d'identité récente et conforme aux normes",
        ],
    },
    {
        "slug": "naturalisation",
        "name": "Entretien d'assimilation (naturalisation)",
        "description": "Entretien individuel après le dépôt du dossier de naturalisation. "
        "La préfecture fixe le rendez-vous et envoie la convocation.",
        "duration_minutes": 45,
        "required_document": RequiredDocument.EITHER,
        "self_booking": False,
        "horizon_days": 120,
        "cutoff_hours": 48,
        "documents_to_bring": [
            "Convocation à l'entretien",
            "Titre de séjour en cours de validité",
            "Passeport",
            "Pièces originales demandées dans la convocation",
        ],
    },
]

_OPENING_HOURS = "Du lundi au vendredi, de 9 h à 12 h 30 et de 13 h 30 à 17 h"
ACCESS_POINTS = [
    {
        "slug": "france-services-aubervilliers",
        "name": "France Services d'Aubervilliers",
        "address": "2 rue de la Commune de Paris",
        "postcode": "93300",
        "city": "Aubervilliers",
        "opening_hours": _OPENING_HOURS,
    },
    {
        "slug": "france-services-clichy-sous-bois",
        "name": "France Services de Clichy-sous-Bois",
        "address": "Place du 11 Novembre 1918",
        "postcode": "93390",
        "city": "Clichy-sous-Bois",
        "opening_hours": _OPENING_HOURS,
    },
    {
        "slug": "france-services-bondy",
        "name": "France Services de Bondy",
        "address": "Esplanade Claude Fuzier",
        "postcode": "93140",
        "city": "Bondy",
        "opening_hours": _OPENING_HOURS,
    },
]

WEEKDAYS = range(5)  # Monday to Friday
OPENING_RANGES = (OpeningRange(time(9, 0), time(12, 0)), OpeningRange(time(13, 30), time(16, 0)))


@dataclass(frozen=True)
class Counters:
    total: int
    mediation: int = 0
    priority: int = 0


# Counters per site and procedure; some are reserved for access points
# (mediation) and for priority cases (renewals about to lapse, court orders).
CAPACITY: dict[str, dict[str, Counters]] = {
    "bobigny": {
        "premiere-demande": Counters(4, mediation=1),
        "renouvellement": Counters(4, mediation=1, priority=1),
        "remise-de-titre": Counters(3),
        "duplicata": Counters(1),
        "changement-adresse": Counters(1),
        "naturalisation": Counters(2),
    },
    "le-raincy": {
        "premiere-demande": Counters(2, mediation=1),
        "renouvellement": Counters(2, priority=1),
        "remise-de-titre": Counters(2),
        "naturalisation": Counters(1),
    },
    "saint-denis": {
        "premiere-demande": Counters(2, mediation=1),
        "renouvellement": Counters(2, priority=1),
        "remise-de-titre": Counters(2),
        "changement-adresse": Counters(1),
    },
}

# Demo identities: nationalities common among the département's applicants.
_PEOPLE: list[tuple[str, list[str], list[str]]] = [
    (
        "ML",
        ["Traoré", "Keïta", "Coulibaly", "Diarra", "Sissoko"],
        ["Moussa", "Aminata", "Boubacar", "Fatoumata", "Seydou"],
    ),
    (
        "DZ",
        ["Benali", "Boudiaf", "Haddad", "Mansouri", "Belkacem"],
        ["Karim", "Nadia", "Yacine", "Samia", "Mohamed"],
    ),
    (
        "MA",
        ["El Idrissi", "Benjelloun", "Alaoui", "Tazi", "Berrada"],
        ["Youssef", "Khadija", "Mehdi", "Imane", "Hicham"],
    ),
    (
        "SN",
        ["N'Diaye", "Diop", "Fall", "Sow", "Gueye"],
        ["Awa", "Mamadou", "Fatou", "Ibrahima", "Aïssatou"],
    ),
    (
        "CI",
        ["Kouassi", "Koné", "Yao", "Bamba", "Ouattara"],
        ["Adjoua", "Kouadio", "Mariam", "Serge", "Affoué"],
    ),
    (
        "TN",
        ["Ben Salah", "Trabelsi", "Gharbi", "Jlassi", "Ayari"],
        ["Amine", "Leïla", "Sami", "Rim", "Walid"],
    ),
    ("CN", ["Wang", "Li", "Zhang", "Chen", "Liu"], ["Wei", "Fang", "Jun", "Xiu Ying", "Hao"]),
    (
        "LK",
        ["Perera", "Fernando", "Sivakumar", "Rajapaksa", "Nadarajah"],
        ["Tharshan", "Nirosha", "Kavitha", "Suresh", "Dilani"],
    ),
    (
        "CD",
        ["Mbuyi", "Kabila", "Tshisekedi", "Ilunga", "Mukendi"],
        ["Grâce", "Patrick", "Divine", "Jonathan", "Merveille"],
    ),
    (
        "HT",
        ["Jean-Baptiste", "Pierre-Louis", "Joseph", "Charles", "Étienne"],
        ["Wideline", "Jean-Robert", "Marie-Carmel", "Fritz", "Nadège"],
    ),
    (
        "TR",
        ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik"],  # noqa: RUF001 - Turkish dotless i
        ["Emre", "Ayşe", "Mehmet", "Zeynep", "Murat"],
    ),
    (
        "KM",
        ["Said", "Ahamada", "Mohamed Ali", "Abdallah", "Soilihi"],
        ["Nassim", "Zaharia", "Anrafa", "Faïza", "Djamal"],
    ),
]
_BIRTH_DATE_ORIGIN = date(1962, 1, 1)
_BIRTH_DATE_SPAN = 16000  # days: birth dates from 1962 to 2005, all adults


def demo_identity(number: int) -> dict:
    """The identity of demo applicant ``number`` (1, 2, ...): deterministic and distinct.

    The AGDREF number is 93 followed by ``number`` on 8 digits; 397 is prime
    to the span, so birth dates are distinct for the first 16,000 applicants.
    """
    nationality, surnames, given_names = _PEOPLE[number % len(_PEOPLE)]
    turn = number // len(_PEOPLE)
    return {
        "surname": surnames[turn % len(surnames)],
        "given_names": given_names[(turn // len(surnames) + turn) % len(given_names)],
        "birth_date": _BIRTH_DATE_ORIGIN + timedelta(days=(number * 397) % _BIRTH_DATE_SPAN),
        "nationality": nationality,
        "document_type": DocumentType.AGDREF,
        "document_number": f"93{number:08d}",
        "phone": f"+3367{number:07d}",
    }


DEMO_APPLICANT_IDENTITY = {
    "surname": "Diallo",
    "given_names": "Mariama",
    "birth_date": date(1991, 3, 14),
    "nationality": "GN",
    "document_type": DocumentType.AGDREF,
    "document_number": "9300000000",
}
# The demo account's confirmed phone: its messages go there.
DEMO_APPLICANT_PHONE = "+33600000000"


class Command(BaseCommand):
    help = "Load the Seine-Saint-Denis demo: sites, procedures, capacity and one account per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--applicants",
            type=int,
            default=0,
            metavar="N",
            help="Also create N applicants applicant1..N@demo.guichet.test with identities.",
        )
        parser.add_argument(
            "--weeks",
            type=int,
            default=4,
            metavar="N",
            help="Weeks of capacity to publish from today (default 4).",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password of every demo account (default: the printed demo password).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off: demo accounts with a known password.",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: seed_demo creates accounts with a known password. "
                "Use --force if this really is a demo server."
            )
        applicants, weeks, password = options["applicants"], options["weeks"], options["password"]
        if applicants < 0:
            raise CommandError("--applicants must be 0 or more.")
        if not 1 <= weeks <= 52:
            raise CommandError("--weeks must be between 1 and 52.")
        if not password:
            raise CommandError("--password must not be empty.")

        started = clock.monotonic()
        # One hash for every demo account: hashing is deliberately slow.
        password_hash = make_password(password)
        with transaction.atomic():
            sites = {row["slug"]: _get_or_create(Site, row) for row in SITES}
            procedures = {
                row["slug"]: _get_or_create(Procedure, _procedure_fields(row)) for row in PROCEDURES
            }
            access_points = [_get_or_create(AccessPoint, row) for row in ACCESS_POINTS]
            accounts = _staff_accounts(password_hash, list(sites.values()), access_points[0])
            _demo_applicant(password_hash)
            slots = _publish_capacity(accounts["agent"], sites, procedures, weeks=weeks)
            created_applicants = _numbered_applicants(applicants, password_hash)
            # Existing demo accounts get this run's password: the printout stays true.
            User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exclude(
                password=password_hash
            ).update(password=password_hash)

        self._summary(
            slots=slots,
            applicants=applicants,
            created_applicants=created_applicants,
            password=password,
            seconds=clock.monotonic() - started,
        )

    def _summary(
        self, *, slots: int, applicants: int, created_applicants: int, password: str, seconds: float
    ) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Demo data ready in {seconds:.1f} s: {Site.objects.count()} sites, "
                f"{Procedure.objects.count()} procedures, "
                f"{AccessPoint.objects.count()} access points, "
                f"{slots} new slots ({Slot.objects.count()} in all), "
                f"{created_applicants} new numbered applicants."
            )
        )
        out("Accounts (log in with the e-mail address):")
        for email, what in [
            (APPLICANT_EMAIL, "applicant, with a complete identity"),
            (MEDIATOR_EMAIL, f"mediator at {ACCESS_POINTS[0]['name']}"),
            (AGENT_EMAIL, "prefecture agent at every demo site"),
            (SUPERVISOR_EMAIL, "supervisor"),
            (ADMIN_EMAIL, "administrator (/admin/)"),
        ]:
            out(f"  {email:<32} {what}")
        if applicants:
            out(f"  applicant1..{applicants}@{DEMO_DOMAIN}  applicants with identities")
        out(f"Password of every demo account: {password}")
        out(
            "Staff accounts then ask for a second factor: run `python manage.py demo_otp` "
            f"for the current code, or add the key {DEMO_TOTP_KEY_BASE32} to an "
            "authenticator app."
        )


def _get_or_create(model, fields: dict):
    slug = fields["slug"]
    instance, _created = model.objects.get_or_create(
        slug=slug, defaults={k: v for k, v in fields.items() if k != "slug"}
    )
    return instance


def _procedure_fields(row: dict) -> dict:
    return {**row, "documents_to_bring": "\n".join(row["documents_to_bring"])}


def _account(email: str, password_hash: str, **fields) -> User:
    user, _created = User.objects.update_or_create(
        email=email, defaults=fields, create_defaults={**fields, "password": password_hash}
    )
    return user


def _staff_accounts(password_hash: str, sites: list[Site], access_point: AccessPoint) -> dict:
    agent = _account(
        AGENT_EMAIL, password_hash, role=Role.AGENT, full_name="Agent de démonstration"
    )
    agent.sites.set(sites)
    mediator = _account(
        MEDIATOR_EMAIL,
        password_hash,
        role=Role.MEDIATOR,
        full_name="Médiatrice de démonstration",
        access_point=access_point,
    )
    supervisor = _account(
        SUPERVISOR_EMAIL,
        password_hash,
        role=Role.SUPERVISOR,
        full_name="Superviseuse de démonstration",
    )
    admin = _account(
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


def _demo_applicant(password_hash: str) -> None:
    now = timezone.now()
    user = _account(
        APPLICANT_EMAIL,
        password_hash,
        role=Role.APPLICANT,
        full_name="Mariama Diallo",
        phone=DEMO_APPLICANT_PHONE,
        email_verified_at=now,
        phone_verified_at=now,
    )
    if not Applicant.objects.filter(user=user).exists():
        applicant_create(actor=user, user=user, **DEMO_APPLICANT_IDENTITY)


def _publish_capacity(
    agent: User, sites: dict[str, Site], procedures: dict[str, Procedure], *, weeks: int
) -> int:
    """Publish ``weeks`` of capacity from today, as the demo agent, after what exists."""
    today = timezone.localdate()
    last_day = today + timedelta(weeks=weeks) - timedelta(days=1)
    latest_slots = (
        Slot.objects.filter(site__in=sites.values(), procedure__in=procedures.values())
        .values("site_id", "procedure_id")
        .annotate(latest=Max("starts_at"))
        .values_list("site_id", "procedure_id", "latest")
    )
    last_existing = {
        (site_id, procedure_id): latest for site_id, procedure_id, latest in latest_slots
    }
    created = 0
    for site_slug, plan in CAPACITY.items():
        site = sites[site_slug]
        for procedure_slug, counters in plan.items():
            procedure = procedures[procedure_slug]
            latest: datetime | None = last_existing.get((site.pk, procedure.pk))
            first_day = (
                today
                if latest is None
                else max(today, timezone.localdate(latest) + timedelta(days=1))
            )
            if first_day > last_day:
                continue
            result = slots_publish(
                actor=agent,
                site=site,
                procedure=procedure,
                date_from=first_day,
                date_to=last_day,
                weekdays=WEEKDAYS,
                opening_ranges=OPENING_RANGES,
                counters=counters.total,
                mediation_counters=counters.mediation,
                priority_counters=counters.priority,
            )
            created += result.created
    return created


def _numbered_applicants(count: int, password_hash: str) -> int:
    """Create applicant1..count with accounts and identities; return how many are new.

    Bulk inserts (a few queries for thousands of people). ``bulk_create`` skips
    ``Applicant.save``, so the derived fields are computed here the same way.
    """
    if count == 0:
        return 0
    existing = set(
        User.objects.filter(
            email__startswith="applicant", email__endswith=f"@{DEMO_DOMAIN}"
        ).values_list("email", flat=True)
    )
    now = timezone.now()
    User.objects.bulk_create(
        [
            User(
                email=email,
                password=password_hash,
                role=Role.APPLICANT,
                full_name=f"{identity['given_names']} {identity['surname']}",
                date_joined=now,
                # "Verified applicants": they may book at once (benchmarks, demos).
                phone=identity["phone"],
                email_verified_at=now,
                phone_verified_at=now,
            )
            for number in range(1, count + 1)
            if (email := f"applicant{number}@{DEMO_DOMAIN}") not in existing
            for identity in [demo_identity(number)]
        ],
        batch_size=500,
    )
    without_identity = User.objects.filter(
        email__startswith="applicant", email__endswith=f"@{DEMO_DOMAIN}", applicant__isnull=True
    ).values_list("pk", "email")
    applicants = []
    for user_id, email in without_identity:
        match = _NUMBERED_APPLICANT.match(email)
        if match is None:
            continue
        applicant = Applicant(
            user_id=user_id, email=email, created_at=now, **demo_identity(int(match.group(1)))
        )
        applicant.derive_identity_fields()
        applicants.append(applicant)
    Applicant.objects.bulk_create(applicants, batch_size=500)
    return len(applicants)
