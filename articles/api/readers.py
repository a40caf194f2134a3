"""Who an API request reads as, and how often they may ask: the owner of a working personal token
(``Authorization: Bearer emb_…``), or nobody (the public). A session cookie is not a credential
here, and a request with a bad token is refused, never demoted to the public."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from articles import soft_cache
from articles.api import guessing
from articles.api.tokens import token_for
from articles.models import ApiToken
from articles.web.client_address import client_address


class TokenAuth(HttpBearer):
    def __call__(self, request):
        # Before the header is parsed, so any credential from a guessing address gets one answer.
        if "HTTP_AUTHORIZATION" in request.META:
            guessing.refuse_if_locked_out(request)
        return super().__call__(request)

    def authenticate(self, request, token: str) -> ApiToken | None:
        return token_for(token)


def public_reader(request):
    """No credential at all: the public. A request with a bad token is refused, never demoted."""
    return None if "HTTP_AUTHORIZATION" in request.META else "public"


class ReaderThrottle(SimpleRateThrottle):
    """Per token, or per address for the public, at ``EMBARGO_API_RATE_TOKEN`` / ``_PUBLIC``."""

    def __init__(self, scope: str):
        self.scope = scope
        self.rate = None

    def allow_request(self, request) -> bool:
        # Read on each request, so the rate is the setting in force (tests override it).
        setting = "EMBARGO_API_RATE_TOKEN" if self.scope == "token" else "EMBARGO_API_RATE_PUBLIC"
        self.rate = getattr(settings, setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        # Fails soft: with the cache down, the API answers unlimited rather than not at all.
        allow = super().allow_request
        return soft_cache.cache_call("throttle", lambda: allow(request), True)

    def get_ident(self, request) -> str | None:
        # Not ninja's: without a trusted proxy, X-Forwarded-For is the client's own claim.
        return client_address(request)

    def get_cache_key(self, request) -> str | None:
        auth = getattr(request, "auth", None)
        is_token = isinstance(auth, ApiToken)
        if (self.scope == "token") != is_token:
            return None
        ident = auth.pk if isinstance(auth, ApiToken) else self.get_ident(request)
        return self.cache_format % {"scope": f"embargo-api-{self.scope}", "ident": ident}


def reader_of(request):
    """The user whose access a request has: a token's owner, or nobody."""
    auth = getattr(request, "auth", None)
    return auth.owner if isinstance(auth, ApiToken) else AnonymousUser()
