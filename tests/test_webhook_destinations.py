"""Webhooks go to the internet only: an endpoint whose host is, or resolves to, an address inside
(loopback, private, link-local and the cloud metadata service, unspecified, multicast, reserved) is
refused when saved and at every delivery, which connects to the address it checked and follows no
redirect; ``EMBARGO_WEBHOOK_ALLOWED_NETWORKS`` lets an operator reach an internal receiver."""

import ipaddress
import socket
import ssl

import pytest

from articles.api import destinations, webhooks
from articles.api.admin import WebhookEndpointForm
from articles.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.processes import LoopbackReceiver

pytestmark = pytest.mark.django_db

SECRET = "s" * 32
INSIDE = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fc00::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[fe80::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
]


def form(url: str) -> WebhookEndpointForm:
    return WebhookEndpointForm(
        data={"url": url, "secret": SECRET, "events": ["published"], "is_active": "on"}
    )


class FakeDNS:
    """Names resolve to what a test says (``dns.names["x"] = [addresses]``); lookups are counted."""

    def __init__(self, real):
        self.names: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.real = real

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host not in self.names:
            return self.real(host, port, *args, **kwargs)
        self.lookups.append(host)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in self.names[host]
        ]


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.mark.parametrize("url", INSIDE)
def test_an_endpoint_inside_the_network_is_refused_with_a_clear_error(url):
    endpoint = form(url)
    assert not endpoint.is_valid()
    assert "not a public one" in endpoint.errors["url"][0]


def test_a_name_with_one_inside_address_among_public_ones_is_refused(dns):
    dns.names["mixed.example"] = ["93.184.216.34", "10.0.0.5"]
    endpoint = form("https://mixed.example/hook")
    assert not endpoint.is_valid()
    assert "mixed.example (10.0.0.5) is a private address" in endpoint.errors["url"][0]


def test_a_public_endpoint_is_accepted(dns):
    dns.names["hooks.example"] = ["93.184.216.34", "2606:2800:220:1::1"]
    assert form("https://hooks.example/hook").is_valid()
    assert form("http://93.184.216.34:8443/hook").is_valid()


def test_the_allowed_networks_open_those_and_only_those(settings):
    settings.EMBARGO_WEBHOOK_ALLOWED_NETWORKS = (ipaddress.ip_network("10.20.0.0/16"),)
    assert form("http://10.20.3.4/hook").is_valid()
    assert not form("http://10.21.3.4/hook").is_valid()
    assert not form("http://169.254.169.254/").is_valid()


def test_a_url_that_is_not_http_is_refused():
    assert not form("ftp://93.184.216.34/hook").is_valid()
    assert not form("file:///etc/passwd").is_valid()


# --- at delivery ---------------------------------------------------------------------------------


def delivery_to(url: str) -> WebhookDelivery:
    """A queued delivery to ``url``, as if the endpoint had been saved when it looked public."""
    endpoint = WebhookEndpoint.objects.create(url=url, secret=SECRET, events=["published"])
    return WebhookDelivery.objects.create(endpoint=endpoint, event="published", payload={"a": 1})


def test_a_name_that_now_resolves_inside_is_not_connected_to(dns):
    """DNS rebinding: public when saved, loopback at delivery. Nothing reaches the server."""
    with LoopbackReceiver() as inside:
        dns.names["rebind.example"] = ["127.0.0.1"]
        delivery = delivery_to(f"http://rebind.example:{inside.port}/hook")
        assert webhooks.deliver.call(delivery.pk) is None
    assert inside.hosts == []
    attempt = WebhookAttempt.objects.get()
    assert "rebind.example (127.0.0.1) is a loopback address" in attempt.error


def test_a_delivery_resolves_once_and_connects_to_the_checked_address_by_name(dns, settings):
    settings.EMBARGO_WEBHOOK_ALLOWED_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    with LoopbackReceiver() as receiver:
        dns.names["hooks.internal"] = ["127.0.0.1"]
        delivery = delivery_to(f"http://hooks.internal:{receiver.port}/hook")
        assert webhooks.deliver.call(delivery.pk) == 200
    assert receiver.hosts == [f"hooks.internal:{receiver.port}"]
    assert dns.lookups == ["hooks.internal"]


def test_a_redirect_is_not_followed(settings):
    settings.EMBARGO_WEBHOOK_ALLOWED_NETWORKS = (ipaddress.ip_network("127.0.0.1/32"),)
    with LoopbackReceiver() as target:
        elsewhere = f"http://127.0.0.1:{target.port}/elsewhere"
        with LoopbackReceiver([302], location=elsewhere) as redirecting:
            delivery = delivery_to(f"http://127.0.0.1:{redirecting.port}/hook")
            assert webhooks.deliver.call(delivery.pk) == 302
    assert target.hosts == []
    delivery.refresh_from_db()
    assert delivery.delivered_at is None
    assert "redirect not followed" in WebhookAttempt.objects.get().error


def test_over_https_the_checked_address_is_dialled_and_the_name_is_verified(dns, monkeypatch):
    """SNI and the certificate check use the name; the socket goes to the address checked."""
    dns.names["secure.example"] = ["93.184.216.34"]
    dialled, verified = [], []

    def create_connection(address, *args, **kwargs):
        dialled.append(address)
        return socket.socket()

    def wrap_socket(context, sock, *, server_hostname=None, **kwargs):
        sock.close()
        verified.append((server_hostname, context.check_hostname, context.verify_mode))
        raise ssl.SSLError("stop here: no network in tests")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    with pytest.raises(OSError):
        destinations.post("https://secure.example/hook", body=b"{}", headers={}, timeout=1)
    assert dialled == [("93.184.216.34", 443)]
    assert verified == [("secure.example", True, ssl.CERT_REQUIRED)]
