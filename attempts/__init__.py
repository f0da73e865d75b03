"""The record of attempts: evidence for the administrative court.

A foreigner who proves several failed attempts to get an appointment, spread
over more than one week, can get a court order (Conseil d'État, 10 June 2020,
n° 435594). Guichet records, per person, each search that found nothing
(``FailedSearch``, fed by ``booking.signals.availability_found_nothing``), and
lets the person, or a mediator for them, download a dated PDF listing week by
week those searches, the new-slot alerts subscribed and received, the
substitution requests and their answers (and time on the waiting list, when it
exists). Each record issued is kept as it was issued (``AttemptRecord``), with
a verification code stored hashed: ``/verify/<code>/`` shows what it said.
"""
