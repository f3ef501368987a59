from __future__ import annotations

from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from carecircle.audit.middleware import client_ip


def _request(forwarded: str | None = None) -> HttpRequest:
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@override_settings(CARECIRCLE_PROXY_HOPS=0)
def test_it_uses_the_connection_without_a_proxy() -> None:
    assert client_ip(_request("203.0.113.9")) == "127.0.0.1"


@override_settings(CARECIRCLE_PROXY_HOPS=1)
def test_it_believes_only_the_entry_the_proxy_wrote() -> None:
    assert client_ip(_request("203.0.113.9")) == "203.0.113.9"
    # A client-sent value further left is ignored.
    assert client_ip(_request("6.6.6.6, 203.0.113.9")) == "203.0.113.9"


@override_settings(CARECIRCLE_PROXY_HOPS=2)
def test_it_counts_hops_from_the_right() -> None:
    assert client_ip(_request("6.6.6.6, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"


@override_settings(CARECIRCLE_PROXY_HOPS=1)
def test_it_falls_back_to_the_connection_on_garbage_or_absence() -> None:
    assert client_ip(_request("not-an-ip")) == "127.0.0.1"
    assert client_ip(_request()) == "127.0.0.1"
