"""The client's address for the sign-in lock-out, taken from the trusted proxy only when there is one.

Behind a proxy every connection comes from the proxy, so counting ``REMOTE_ADDR`` would let one
attacker lock every user out. Each trusted proxy appends the address it saw to ``X-Forwarded-For``
(nginx: ``$proxy_add_x_forwarded_for``), so the client is the ``EMBARGO_TRUSTED_PROXY_COUNT``-th
entry from the right; entries further left were written by the client and prove nothing. Without a
configured proxy the header is the client's own claim and is ignored.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address the lock-out counts for ``request`` (the AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR")
    if not settings.TRUSTED_PROXY_HEADER:
        return remote
    chain = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    count = settings.TRUSTED_PROXY_COUNT
    if len(chain) < count:
        return remote
    candidate = chain[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Not an address the proxy wrote: count the proxy's connection rather than a client's word.
        return remote
