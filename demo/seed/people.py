"""Who the demo applicants are: deterministic, distinct, plausible identities.

Nationalities common among the département's applicants; AGDREF numbers of
the form 93 followed by eight digits. Declarative data and one pure function.
"""

from __future__ import annotations

from datetime import date, timedelta

from booking.identity import Identity
from booking.models import DocumentType

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
    """The identity of demo applicant ``number`` (1, 2, ...), deterministic and
    distinct, with the mobile phone of its account (``phone``).

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


DEMO_APPLICANT_IDENTITY = Identity(
    surname="Diallo",
    given_names="Mariama",
    birth_date=date(1991, 3, 14),
    nationality="GN",
    document_type=DocumentType.AGDREF,
    document_number="9300000000",
)
# The demo account's confirmed phone: its messages go there.
DEMO_APPLICANT_PHONE = "+33600000000"
