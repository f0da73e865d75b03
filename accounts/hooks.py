"""What accounts tells the apps above it, which it must not import.

A lower app never imports a higher one (``docs/architecture.md``). When a
change of an account must reach their data, or an account page shows some of
it, accounts sends one of these signals and the app concerned connects a
receiver in its ``AppConfig.ready`` (booking: ``booking.identity.receivers``).
Receivers run in the sender's transaction and their errors reach the sender.
"""

from __future__ import annotations

from django.dispatch import Signal

#: An address or a number was confirmed and is now the account's. Sent inside
#: the transaction that stores it, with ``user``, ``field`` (``"email"`` or
#: ``"phone"``), ``previous`` (``""`` when there was none) and ``new``.
contact_confirmed = Signal()

#: The account's language changed. Sent inside the transaction that stores it,
#: with ``user`` and ``language``.
language_chosen = Signal()

#: "My account" is being shown to ``user``: each receiver returns a dict that
#: is added to the page's context (booking: the identity on file).
account_page_shown = Signal()
