"""Where the demo happens and what people come for: the three sites of the
Seine-Saint-Denis, six procedures and three access points (France Services).

Declarative data, found by slug: a second run creates nothing twice. The
addresses of the access points are plausible demo data, not a directory.
"""

from __future__ import annotations

from datetime import time
from typing import TypeVar

from django.db import models

from booking.models import Procedure, RequiredDocument, Site
from mediation.models import AccessPoint, OpeningPeriod

M = TypeVar("M", bound=models.Model)

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


def places_ensure() -> tuple[dict[str, Site], dict[str, Procedure], list[AccessPoint]]:
    """The sites and procedures by slug, and the access points in ``ACCESS_POINTS`` order."""
    sites = {row["slug"]: _by_slug(Site, row) for row in SITES}
    procedures = {
        row["slug"]: _by_slug(
            Procedure, {**row, "documents_to_bring": "\n".join(row["documents_to_bring"])}
        )
        for row in PROCEDURES
    }
    access_points = [_by_slug(AccessPoint, row) for row in ACCESS_POINTS]
    _opening_periods_ensure(access_points)
    return sites, procedures, access_points


# What ``_OPENING_HOURS`` says, as periods: a mediator's booking outside them is flagged.
OPENING_PERIODS = [
    (weekday, opens, closes)
    for weekday in range(5)
    for opens, closes in ((time(9, 0), time(12, 30)), (time(13, 30), time(17, 0)))
]


def _opening_periods_ensure(access_points: list[AccessPoint]) -> None:
    """Give each point its periods, once (a point that has some keeps them)."""
    have = set(
        OpeningPeriod.objects.filter(access_point__in=access_points)
        .values_list("access_point_id", flat=True)
        .distinct()
    )
    OpeningPeriod.objects.bulk_create(
        [
            OpeningPeriod(access_point=point, weekday=weekday, opens=opens, closes=closes)
            for point in access_points
            if point.pk not in have
            for weekday, opens, closes in OPENING_PERIODS
        ]
    )


def _by_slug(model: type[M], fields: dict) -> M:
    instance, _created = model.objects.get_or_create(
        slug=fields["slug"], defaults={k: v for k, v in fields.items() if k != "slug"}
    )
    return instance
