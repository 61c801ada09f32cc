"""Webhook deliveries: signed, retried, logged, switched off after a day of failures, and
only ever sent to public addresses."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity import net, services
from activity.models import Delivery, Event, EventKind, Webhook
from designs import services as design_services
from designs.models import Section

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread that records what it is sent."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes, str]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body, self.path))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?team=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def local_allowed(settings):
    settings.CRIT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CRIT_WEBHOOK_TIMEOUT = 2.0


def _hook(team, alice, url, kinds=("section.saved",)) -> Webhook:
    return services.webhook_create(team=team, url=url, kinds=list(kinds), created_by=alice)


def _save(design, alice, body="Hello"):
    section = Section.objects.get(design=design, position=1)
    return design_services.section_update(
        section=section, body=body, base_version=section.version, edited_by=alice
    )


def test_a_receiver_allowed_by_the_setting_gets_a_correctly_signed_delivery(
    team, design, alice, local_allowed, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        hook = _hook(team, alice, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            _save(design, alice)

    ((headers, body, path),) = receiver.requests
    assert path == "/hook?team=1"
    assert headers["X-Crit-Event"] == "section.saved"
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Crit-Signature-256"] == expected
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    event = Event.objects.get()
    assert payload["id"] == event.pk
    assert payload["kind"] == "section.saved"
    assert payload["design"] == {"id": design.pk, "title": design.title}
    assert payload["actor"] == {"id": alice.pk, "username": "alice"}
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.response_code == 200 and delivery.response_body == "ok"
    assert delivery.attempts == 1 and delivery.duration_ms is not None


def test_a_hook_hears_only_the_kinds_it_asked_for(
    team, design, alice, local_allowed, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        _hook(team, alice, receiver.url, kinds=["comment.posted"])
        with django_capture_on_commit_callbacks(execute=True):
            _save(design, alice)
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_a_down_receiver_gets_retries_with_backoff(team, design, alice, local_allowed):
    hook = _hook(team, alice, f"http://127.0.0.1:{_closed_port()}/")
    _save(design, alice)
    (delivery_id,) = services.event_fanout(event_id=Event.objects.get().pk)

    attempt = services.delivery_attempt(delivery_id=delivery_id)

    assert attempt.status == Delivery.Status.RETRYING
    assert 30 <= attempt.retry_in <= 35
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING and delivery.attempts == 1
    assert delivery.next_retry_at > timezone.now()
    assert "Could not deliver" in delivery.error
    hook.refresh_from_db()
    assert hook.failing_since is not None
    # The next wait doubles.
    assert 60 <= services.delivery_attempt(delivery_id=delivery_id).retry_in <= 65


def test_the_task_retries_a_down_receiver_until_it_gives_up(
    team, design, alice, local_allowed, django_capture_on_commit_callbacks
):
    _hook(team, alice, f"http://127.0.0.1:{_closed_port()}/")
    with (
        mock.patch.object(services, "backoff", return_value=0) as backoff,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _save(design, alice)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert backoff.call_count == services.MAX_ATTEMPTS - 1


def test_a_redirect_is_a_failure_and_is_not_followed(team, design, alice, local_allowed):
    with Receiver(status=302, headers={"Location": "http://169.254.169.254/"}) as receiver:
        _hook(team, alice, receiver.url)
        _save(design, alice)
        (delivery_id,) = services.event_fanout(event_id=Event.objects.get().pk)
        services.delivery_attempt(delivery_id=delivery_id)
    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING and delivery.response_code == 302
    assert "redirects are not followed" in delivery.error


def test_a_delivery_is_sent_once_however_often_its_task_runs(team, design, alice, local_allowed):
    with Receiver() as receiver:
        _hook(team, alice, receiver.url)
        _save(design, alice)
        (delivery_id,) = services.event_fanout(event_id=Event.objects.get().pk)
        assert services.event_fanout(event_id=Event.objects.get().pk) == []
        services.delivery_attempt(delivery_id=delivery_id)
        assert services.delivery_attempt(delivery_id=delivery_id).status == "skipped"
    assert len(receiver.requests) == 1


def test_a_failed_delivery_can_be_sent_again(
    team, design, alice, local_allowed, django_capture_on_commit_callbacks
):
    hook = _hook(team, alice, f"http://127.0.0.1:{_closed_port()}/")
    _save(design, alice)
    (delivery_id,) = services.event_fanout(event_id=Event.objects.get().pk)
    Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED)
    with Receiver() as receiver:
        hook.url = receiver.url
        hook.save()
        with django_capture_on_commit_callbacks(execute=True):
            again = services.delivery_resend(
                delivery=Delivery.objects.get(pk=delivery_id), resent_by=alice
            )
    assert len(receiver.requests) == 1
    again.refresh_from_db()
    assert again.status == Delivery.Status.SUCCEEDED
    assert Delivery.objects.count() == 2  # the failed one stays in the log
    hook.refresh_from_db()
    assert hook.failing_since is None


def test_only_a_failed_delivery_can_be_sent_again(team, design, alice, local_allowed):
    _hook(team, alice, f"http://127.0.0.1:{_closed_port()}/")
    _save(design, alice)
    (delivery_id,) = services.event_fanout(event_id=Event.objects.get().pk)
    with pytest.raises(ValidationError):
        services.delivery_resend(delivery=Delivery.objects.get(pk=delivery_id), resent_by=alice)


def test_a_hook_failing_for_a_day_is_switched_off_and_its_owners_told(
    team, alice, member, local_allowed
):
    alice.email = "alice@example.com"
    alice.save()
    member.email = "member@example.com"
    member.save()
    failing = _hook(team, alice, "http://127.0.0.1:9/")
    recent = _hook(team, alice, "http://127.0.0.1:10/")
    now = timezone.now()
    Webhook.objects.filter(pk=failing.pk).update(failing_since=now - timedelta(hours=25))
    Webhook.objects.filter(pk=recent.pk).update(failing_since=now - timedelta(hours=23))

    assert services.webhooks_disable_failing(now=now) == [failing.pk]
    assert services.webhooks_disable_failing(now=now) == []

    failing.refresh_from_db()
    recent.refresh_from_db()
    assert not failing.active and failing.disabled_at == now
    assert recent.active
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]  # owners only
    assert "switched off" in message.subject and failing.url in message.body


def test_a_switched_off_hook_gets_no_deliveries(team, design, alice, local_allowed):
    hook = _hook(team, alice, "http://127.0.0.1:9/")
    Webhook.objects.filter(pk=hook.pk).update(active=False)
    _save(design, alice)
    assert services.event_fanout(event_id=Event.objects.get().pk) == []


def test_only_owners_manage_webhooks(team, member, local_allowed):
    with pytest.raises(PermissionError):
        _hook(team, member, "http://127.0.0.1:9/")


@pytest.mark.parametrize("kinds", [[], ["section.saved", "nonsense"]])
def test_kinds_must_be_known_and_not_empty(team, alice, local_allowed, kinds):
    with pytest.raises(ValidationError) as caught:
        _hook(team, alice, "http://127.0.0.1:9/", kinds=kinds)
    assert "kinds" in caught.value.message_dict


def test_the_signature_is_the_github_convention():
    body = b'{"id":1}'
    assert services.signature("s3cret", body) == (
        "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    )


# Server-side request forgery: each way of writing a private address is refused.
PRIVATE_URLS = [
    "http://2130706433/",  # decimal
    "http://0177.0.0.1/",  # octal
    "http://0x7f.1/",  # hex, short
    "http://127.1/",  # short
    "http://127.0.0.1:8000/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",  # IPv4-mapped, in hex
    "http://0.0.0.0/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://[fc00::1]/",  # unique local
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",  # link-local
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 wrapping 10.0.0.1
    "http://localhost/",  # a name that resolves to loopback
    "https://LOCALHOST./",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_each_way_of_writing_a_private_address_is_refused(url):
    with pytest.raises(net.AddressRefused):
        net.resolve(url)


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_hook_to_a_private_address_cannot_be_saved(team, alice, url):
    with pytest.raises(ValidationError) as caught:
        _hook(team, alice, url)
    assert "url" in caught.value.message_dict


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http://", "http://u:p@1.1.1.1/"],
)
def test_only_plain_http_and_https_urls_are_accepted(url):
    with pytest.raises(net.AddressRefused):
        net.resolve(url)


def test_a_name_resolving_to_a_private_address_is_refused_whatever_it_is_called():
    fake = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 443))]
    with (
        mock.patch.object(socket, "getaddrinfo", return_value=fake),
        pytest.raises(net.AddressRefused),
    ):
        net.resolve("https://hooks.example.com/")


def test_a_name_resolving_to_public_and_private_addresses_is_refused():
    fake = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443)),
    ]
    with (
        mock.patch.object(socket, "getaddrinfo", return_value=fake),
        pytest.raises(net.AddressRefused),
    ):
        net.resolve("https://hooks.example.com/")


def test_a_public_address_is_accepted_and_pinned():
    fake = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
    with mock.patch.object(socket, "getaddrinfo", return_value=fake) as lookup:
        target = net.resolve("https://hooks.example.com/in?x=1")
    assert target.addresses == ("93.184.216.34",)
    assert (target.host, target.port, target.path) == ("hooks.example.com", 443, "/in?x=1")
    assert lookup.call_count == 1


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(local_allowed):
    """DNS rebinding: the name is resolved once; the request goes to that address."""
    with Receiver() as receiver:
        port = receiver.server.server_port
        target = net.Target(
            scheme="http",
            host="hooks.example.com",
            port=port,
            path="/",
            addresses=("127.0.0.1",),
        )
        real = socket.getaddrinfo
        with mock.patch.object(socket, "getaddrinfo", side_effect=real) as lookup:
            answer = net.post(target, body=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status == 200
    assert all(call.args[0] == "127.0.0.1" for call in lookup.call_args_list)
    ((headers, _, _),) = receiver.requests
    assert headers["Host"] == f"hooks.example.com:{port}"


def test_an_allowed_host_is_only_the_one_named(settings):
    settings.CRIT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert net.resolve("http://127.0.0.1:9/").addresses == ("127.0.0.1",)
    with pytest.raises(net.AddressRefused):
        net.resolve("http://localhost:9/")


def test_event_kinds_are_documented():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    missing = [kind for kind in EventKind.values if f"`{kind}`" not in docs]
    assert not missing


def test_a_team_without_webhooks_costs_one_query_after_the_commit(design, alice):
    _save(design, alice)
    event = Event.objects.get()
    with CaptureQueriesContext(connection) as queries:
        assert (
            services.event_fanout(event_id=event.pk, kind=event.kind, team_id=event.team_id) == []
        )
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and "activity_webhook" in statements[0]


def test_the_sweep_hands_over_deliveries_whose_task_was_lost(team, design, alice, local_allowed):
    hook = _hook(team, alice, "http://127.0.0.1:9/")
    _save(design, alice)
    event = Event.objects.get()
    now = timezone.now()
    lost = Delivery.objects.create(webhook=hook, event=event)
    Delivery.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=11))
    late = Delivery.objects.create(
        webhook=hook,
        event=event,
        status=Delivery.Status.RETRYING,
        next_retry_at=now - timedelta(minutes=11),
    )
    Delivery.objects.create(webhook=hook, event=event)  # just made: its task is on its way
    dead = Delivery.objects.create(webhook=hook, event=event, status=Delivery.Status.SENDING)
    Delivery.objects.filter(pk=dead.pk).update(updated_at=now - timedelta(minutes=11))
    Delivery.objects.create(webhook=hook, event=event, status=Delivery.Status.SENDING)
    Delivery.objects.create(
        webhook=hook, event=event, status=Delivery.Status.RETRYING, next_retry_at=now
    )
    with mock.patch("activity.tasks.delivery_send_task.apply_async") as send:
        swept = services.deliveries_sweep(now=now)
    assert sorted(swept) == sorted([lost.pk, late.pk, dead.pk])
    dead.refresh_from_db()
    assert dead.status == Delivery.Status.RETRYING  # claimable by the task again
    assert sorted(c.kwargs["args"][0] for c in send.call_args_list) == sorted(swept)


def test_a_broker_that_is_down_never_fails_the_change(
    team, design, alice, local_allowed, django_capture_on_commit_callbacks
):
    _hook(team, alice, "http://127.0.0.1:9/")
    with (
        mock.patch(
            "activity.tasks.delivery_send_task.apply_async", side_effect=ConnectionError("down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _save(design, alice)
    assert Delivery.objects.get().status == Delivery.Status.PENDING  # for the sweep


def test_international_names_and_paths_are_sent_as_ascii():
    fake = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
    with mock.patch.object(socket, "getaddrinfo", return_value=fake) as lookup:
        target = net.resolve("https://bücher.example/ein weg?q=ä")
    assert lookup.call_args.args[0] == "xn--bcher-kva.example"
    assert target.path == "/ein%20weg?q=%C3%A4"
