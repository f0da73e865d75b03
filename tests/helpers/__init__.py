"""Helpers the test modules share: test modules and conftests import them from
here, never from one another (a test module is collected, not a library).

- ``api_clients``: an API client with a fresh token.
- ``pages``: the page client in English (``web``).
- ``audit``: the client address the audit tests record, a supervisor's booking.
- ``browser``: the headless Chromium fixture and the phone's viewport.
- ``checkout``: the repository's files, copied as a clone would have them.
- ``inbox``: the code of the last SMS and the link of the last e-mail a person
  was sent, as the worker renders them.
- ``matrix``: the permission matrix (every URL, what each persona gets) and
  its clients, shared by the matrix and the route fuzzer.
- ``otp``: the code a person's authenticator app shows.
- ``query_bounds``: the world and the tables of requests of
  ``tests/test_query_counts_routes.py``, one module per group of routes, and the
  routes other modules bound (``BOUNDED_ELSEWHERE``).
- ``racing``: calls run at once in real concurrent transactions (``race``).
- ``injunctions``, ``mediation_console``: what the tests of court orders and of
  the mediators' console share (their fixtures are in their folder's conftest).
- ``settings_process``: ``config.settings`` loaded in a subprocess with only
  the variables given.
- The notifications' (``notification_factories``, ``alert_subscribers``,
  ``celery_worker``, ``fake_twilio``, ``publisher_process``): sent messages,
  many subscribers, a real worker, a fake Twilio, a publisher in its own process.

The persona world is ``tests/personas.py``; the factories ``tests/factories.py``;
logging a persona in ``tests/auth.py``.
"""
