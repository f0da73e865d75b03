"""A mobile number confirms at most ACCOUNTS_PER_PHONE accounts, even under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings

from accounts import errors, services
from accounts.models import PhoneNumber, User
from tests import factories
from tests.helpers.inbox import sms_code

PHONE = "+33698765432"


def _unconfirmed_with_code(phone: str = PHONE) -> tuple[User, str]:
    user = factories.UnverifiedUserFactory(phone=phone)
    services.phone_code_send(user=user, check_cool_down=False)
    return user, sms_code(phone)


@pytest.mark.django_db
@override_settings(ACCOUNTS_PER_PHONE=2)
def test_a_third_account_cannot_confirm_the_same_number():
    factories.UserFactory(phone=PHONE)
    factories.UserFactory(phone=PHONE)
    user, _code = _unconfirmed_with_code()
    # The code of the third one is the last owed to the number.
    with pytest.raises(errors.PhoneCapReached) as refused:
        services.phone_confirm(user=user, code=sms_code(PHONE))
    assert "(2)" in refused.value.detail
    user.refresh_from_db()
    assert user.phone_verified_at is None


@pytest.mark.django_db
@override_settings(ACCOUNTS_PER_PHONE=2)
def test_the_cap_page_says_why(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.UserFactory(phone=PHONE)
    factories.UserFactory(phone=PHONE)
    user, code = _unconfirmed_with_code()
    client.force_login(user)
    response = client.post("/accounts/verify/phone/", {"code": code}, follow=True)
    assert "already confirms the largest number of accounts allowed (2)" in (
        response.content.decode()
    )


@pytest.mark.django_db
@override_settings(ACCOUNTS_PER_PHONE=2)
def test_an_unconfirmed_account_on_the_number_does_not_count():
    factories.UserFactory(phone=PHONE)
    factories.UnverifiedUserFactory(phone=PHONE)
    user, code = _unconfirmed_with_code()
    services.phone_confirm(user=user, code=code)
    assert User.objects.filter(phone=PHONE, phone_verified_at__isnull=False).count() == 2


@pytest.mark.django_db(transaction=True)
@override_settings(ACCOUNTS_PER_PHONE=2)
def test_two_confirmations_at_once_cannot_both_take_the_last_place():
    factories.UserFactory(phone=PHONE)
    # The number's row exists already (its first confirmation made it): the
    # row lock, not the unique insert, is what must serialise the two.
    PhoneNumber.objects.create(phone=PHONE)
    first, first_code = _unconfirmed_with_code()
    second, second_code = _unconfirmed_with_code()
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def confirm(index: int, user: User, code: str) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            barrier.wait(timeout=30)
            outcomes[index] = services.phone_confirm(user=user, code=code)
        except BaseException as exc:  # inspected below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=confirm, args=(0, first, first_code)),
        threading.Thread(target=confirm, args=(1, second, second_code)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    confirmed = [o for o in outcomes if isinstance(o, User)]
    refused = [o for o in outcomes if isinstance(o, errors.PhoneCapReached)]
    assert (len(confirmed), len(refused)) == (1, 1), outcomes
    assert User.objects.filter(phone=PHONE, phone_verified_at__isnull=False).count() == 2
