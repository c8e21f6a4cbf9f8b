"""Deliveries to a real HTTP receiver on loopback: signed, retried after a
failure, disabled after repeated failures, replayed; check-in codes only
where allowed; the SSRF rule at registration and at delivery time."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from registrants import services as registrant_services
from registrants.errors import ApplicationError
from registrants.lifecycle import Status
from registrants.tests.factories import make_registrant
from webhooks import dispatch, services, signing
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


def make_due() -> None:
    """Bring every pending retry forward to now (instead of waiting)."""
    Delivery.objects.filter(state="pending").update(next_attempt_at=timezone.now())


def test_a_delivery_arrives_signed_with_the_versioned_payload(event, receiver, organiser):
    endpoint = services.endpoint_create(event_id=event.pk, url=receiver.url, actor=organiser)
    r = make_registrant(event, name="Ada Lovelace", company="Acme", actor=organiser)
    assert dispatch.send_due() == 1
    assert receiver.verified(endpoint.secret) == [True]
    assert receiver.verified("whsec_wrong") == [False]
    request = receiver.requests[0]
    assert request["headers"]["Content-Type"] == "application/json"
    payload = receiver.payloads()[0]
    delivery = Delivery.objects.get()
    assert request["headers"]["Webhook-Id"] == payload["id"] == delivery.event_id_text
    assert (payload["type"], payload["version"]) == ("registrant.registered", 1)
    assert payload["data"]["registrant"]["name"] == "Ada Lovelace"
    assert payload["data"]["registrant"]["company"] == "Acme"
    assert payload["data"]["change"]["from_status"] is None
    assert payload["data"]["change"]["actor"] == "olga"
    assert "check_in_code" not in payload["data"]["registrant"]  # not allowed: never sent
    assert delivery.body.encode() == request["body"]
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
    log = Attempt.objects.get()
    assert log.status_code == 200 and log.response_excerpt.startswith("answer 200")
    registrant_services.registrant_change_status(registrant_id=r.pk, to_status=Status.CHECKED_IN)
    dispatch.send_due()
    second = receiver.payloads()[1]
    assert second["type"] == "registrant.status_changed"
    assert (second["data"]["change"]["from_status"], second["data"]["change"]["to_status"]) == (
        "registered",
        "checked_in",
    )


def test_codes_go_only_to_an_endpoint_allowed_them(event, receiver, organiser):
    services.endpoint_create(
        event_id=event.pk, url=receiver.url, actor=organiser, include_check_in_codes=True
    )
    r = make_registrant(event)
    dispatch.send_due()
    assert receiver.payloads()[0]["data"]["registrant"]["check_in_code"] == r.check_in_code


def test_only_someone_who_may_see_codes_may_allow_them(event, receiver, viewer, organiser):
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="change_event"))
    with pytest.raises(ApplicationError) as refused:
        services.endpoint_create(
            event_id=event.pk, url=receiver.url, actor=viewer, include_check_in_codes=True
        )
    assert refused.value.code == "permission_denied"
    endpoint = services.endpoint_create(event_id=event.pk, url=receiver.url, actor=organiser)
    with pytest.raises(ApplicationError):
        services.endpoint_update(endpoint_id=endpoint.pk, actor=viewer, include_check_in_codes=True)
    assert not Endpoint.objects.get().include_check_in_codes


def test_a_failure_is_retried_with_backoff_then_delivered(event, receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    make_registrant(event)
    receiver.script.extend([500, 503])
    before = timezone.now()
    assert dispatch.send_due() == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at >= before + datetime.timedelta(seconds=60)
    assert dispatch.send_due() == 0  # not due yet
    make_due()
    dispatch.send_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at >= before + datetime.timedelta(seconds=120)  # doubled
    make_due()
    dispatch.send_due()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 3)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    # The same bytes each time, each signed afresh.
    assert len({r["body"] for r in receiver.requests}) == 1
    assert receiver.verified(endpoint.secret) == [True] * 3
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_delivery_gives_up_after_its_attempts(event, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    Endpoint.objects.create(event=event, url=receiver.url)
    make_registrant(event)
    receiver.script.extend([500, 500, 500])
    dispatch.send_due()
    make_due()
    dispatch.send_due()
    make_due()
    assert dispatch.send_due() == 0
    assert Delivery.objects.get().state == "failed"
    assert len(receiver.requests) == 2


def test_an_endpoint_failing_repeatedly_is_disabled_then_enabled_again(
    event, receiver, settings, organiser
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    for _ in range(2):
        make_registrant(event)
    receiver.script.extend([500] * 3)
    dispatch.send_due()  # two failures
    make_due()
    dispatch.send_due()  # the third: disabled, the fourth is not tried
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None and "3 failed attempts" in endpoint.disabled_reason
    assert len(receiver.requests) == 3
    make_registrant(event)  # still recorded while disabled
    make_due()
    assert dispatch.send_due() == 0
    services.endpoint_update(endpoint_id=endpoint.pk, actor=organiser, active=True)
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None and endpoint.consecutive_failures == 0
    make_due()
    dispatch.send_due()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert len({p["id"] for p in receiver.payloads()}) == 3


def test_a_replay_sends_the_same_payload_again(event, receiver, organiser):
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    make_registrant(event)
    dispatch.send_due()
    original = Delivery.objects.get()
    replay = services.delivery_replay(delivery_id=original.pk, actor=organiser)
    assert (replay.replay_of_id, replay.state) == (original.pk, "pending")
    dispatch.send_due()
    replay.refresh_from_db()
    assert replay.state == "delivered"
    first, again = receiver.requests
    assert first["body"] == again["body"]
    assert json.loads(again["body"])["id"] == original.event_id_text
    assert receiver.verified(endpoint.secret) == [True, True]


def test_a_replay_of_a_switched_off_endpoint_is_refused(event, receiver, organiser):
    endpoint = Endpoint.objects.create(event=event, url=receiver.url)
    make_registrant(event)
    dispatch.send_due()
    services.endpoint_update(endpoint_id=endpoint.pk, actor=organiser, active=False)
    with pytest.raises(ApplicationError) as refused:
        services.delivery_replay(delivery_id=Delivery.objects.get().pk, actor=organiser)
    assert refused.value.code == "conflict"


def test_a_claimed_delivery_is_not_sent_by_another_sender(event, receiver):
    Endpoint.objects.create(event=event, url=receiver.url)
    make_registrant(event)
    (pk,) = dispatch.due_ids()
    assert dispatch.claim(pk) is True
    assert dispatch.claim(pk) is False
    assert dispatch.send_due() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "ftp://example.com/",
        "http://user:pw@example.com/",
    ],
)
def test_private_addresses_are_refused_by_default(event, organiser, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ApplicationError) as refused:
        services.endpoint_create(event_id=event.pk, url=url, actor=organiser)
    assert refused.value.code == "validation_error" and "url" in refused.value.fields
    assert not Endpoint.objects.exists()


def test_the_address_is_checked_again_at_delivery_time(event, receiver, settings):
    Endpoint.objects.create(event=event, url=receiver.url)  # allowed when saved
    make_registrant(event)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    dispatch.send_due()
    assert receiver.requests == []
    attempt = Attempt.objects.get()
    assert attempt.status_code is None and "loopback" in attempt.error
    assert Delivery.objects.get().state == "pending"  # retried later, if allowed by then


def test_signatures_expire_and_bind_the_body():
    body = b'{"id":"evt_1"}'
    header = signing.header_value("whsec_k", body, timestamp=1_000_000)
    assert signing.verify("whsec_k", header, body, now=1_000_000 + 299)
    assert not signing.verify("whsec_k", header, body, now=1_000_000 + 301)  # a replay, later
    assert not signing.verify("whsec_k", header, b'{"id":"evt_2"}', now=1_000_000)
    assert not signing.verify("whsec_k", "t=abc,v1=00", body, now=1_000_000)


def test_the_documented_verification_snippet_accepts_a_real_signature():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    snippet = text.split("**Verifying it**", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation, checked
    body = b'{"id":"evt_7"}'
    assert namespace["verify"]("whsec_k", signing.header_value("whsec_k", body), body)
    assert not namespace["verify"]("whsec_k", signing.header_value("whsec_x", body), body)
    old = signing.header_value("whsec_k", body, timestamp=1_000_000)
    assert not namespace["verify"]("whsec_k", old, body)
