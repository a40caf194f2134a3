"""The admin's remaining doors: the site's own pages, and every page of the models other than
articles and people (login records, task results, API tokens, webhooks, the audit trail).

``COVERED_ROUTES`` names the routes whose leak tests live here; test_leaks.py's route guard fails
for any route of the admin that no module names. A page about one object answers a staff member
with rights on another article exactly as for an id that never existed; a page about no object
answers the same whether or not hidden work exists.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import publishing
from articles.access import SYSTEM
from articles.api import tokens
from articles.models import Article, AuditEvent, WebhookDelivery, WebhookEndpoint
from articles.publishing import tasks
from tests.factories import make_user, staff
from tests.response_shape import assert_same_shape

pytestmark = pytest.mark.django_db

MISSING_PK = 987654
SECRET = "zq-hidden-plan"


def _login_record(model):
    return lambda: model.objects.create(
        username=SECRET,
        ip_address="192.0.2.7",
        user_agent="probe",
        http_accept="*/*",
        path_info="/",
    )


def _task_result() -> DBTaskResult:
    tasks.publish_due.enqueue()
    return DBTaskResult.objects.get()


def _endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=f"https://{SECRET}.example.test/", secret="s" * 32)


# The models whose every page is tested here: (app label, model name) -> a hidden object of it.
HIDDEN_OBJECTS = {
    ("axes", "accessattempt"): lambda: AccessAttempt.objects.create(
        username=SECRET,
        ip_address="192.0.2.7",
        user_agent="probe",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=1,
    ),
    ("axes", "accesslog"): _login_record(AccessLog),
    ("axes", "accessfailurelog"): _login_record(AccessFailureLog),
    ("django_tasks_database", "dbtaskresult"): _task_result,
    ("articles", "apitoken"): lambda: tokens.api_token_create(owner=make_user("ted"), label=SECRET)[
        0
    ],
    ("articles", "webhookendpoint"): _endpoint,
    ("articles", "webhookdelivery"): lambda: WebhookDelivery.objects.create(
        endpoint=_endpoint(), event="published", payload={"slug": SECRET}
    ),
    ("articles", "auditevent"): lambda: publishing.audit_record(
        action=AuditEvent.Action.EDIT,
        actor=SYSTEM,
        article=publishing.article_create(actor=SYSTEM, slug=f"{SECRET}-trail", title="Trail"),
    ),
}
# Every model's unnamed ``<id>/`` route (the redirect to its change page), the people's too.
REDIRECTED = {
    **HIDDEN_OBJECTS,
    ("articles", "article"): lambda: publishing.article_create(
        actor=SYSTEM, slug=SECRET, title="Hidden plan"
    ),
    ("auth", "user"): lambda: make_user(SECRET),
    ("auth", "group"): lambda: Group.objects.create(name=SECRET),
}
OBJECT_PAGES = ["change", "history", "delete"]
MODEL_PAGES = ["changelist", "add"]
SITE_PAGES = {
    "admin:index": "/admin/",
    "admin:app_list": "/admin/articles/",
    "admin:login": "/admin/login/",
    "admin:logout": "/admin/logout/",
    "admin:password_change": "/admin/password_change/",
    "admin:password_change_done": "/admin/password_change/done/",
    "admin:jsi18n": "/admin/jsi18n/",
    "admin:(?P<url>.*)$": "/admin/articles/article/{pk}/nowhere/",
}
MODEL_URLS = {
    f"admin:{app}_{model}_{page}": reverse(f"admin:{app}_{model}_{page}")
    for app, model in [*HIDDEN_OBJECTS, ("articles", "article")]
    for page in MODEL_PAGES
}
COVERED_ROUTES = (
    {f"admin:{app}_{model}_{page}" for app, model in HIDDEN_OBJECTS for page in OBJECT_PAGES}
    | {f"admin:{app}/{model}/<path:object_id>/" for app, model in REDIRECTED}
    | set(MODEL_URLS)
    | set(SITE_PAGES)
)


def outsider() -> User:
    """A staff author with rights on an article of their own, and nothing on anyone else's."""
    person = staff("olga", "Authors")
    publishing.article_create(actor=person, slug="olgas-own", title="Own")
    return person


def client_of(person: User | None) -> Client:
    """A fresh client (so each response sets the same cookies), signed in as ``person``."""
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


@pytest.mark.parametrize("page", [*OBJECT_PAGES, "redirect"])
@pytest.mark.parametrize("model", sorted(HIDDEN_OBJECTS))
@pytest.mark.parametrize("kind", ["anonymous", "outsider"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_object_page_answers_as_for_an_id_that_never_existed(model, page, kind, method):
    if page == "redirect" and method == "post":
        pytest.skip("the redirect answers every method alike; its GET is tested")
    person = outsider() if kind == "outsider" else None
    hidden = HIDDEN_OBJECTS[model]()

    def url(pk) -> str:
        prefix = f"/admin/{model[0]}/{model[1]}/{pk}/"
        return prefix if page == "redirect" else f"{prefix}{page}/"

    found = getattr(client_of(person), method)(url(hidden.pk), {"post": "yes"})
    missing = getattr(client_of(person), method)(url(MISSING_PK), {"post": "yes"})
    assert_same_shape(found, missing, asked=[(f"/{hidden.pk}/", f"/{MISSING_PK}/")])
    assert SECRET not in found.content.decode()
    assert type(hidden).objects.filter(pk=hidden.pk).exists()


@pytest.mark.parametrize("model", sorted(set(REDIRECTED) - set(HIDDEN_OBJECTS)))
def test_the_redirect_to_a_hidden_article_or_person_is_a_missing_ones(model):
    hidden = REDIRECTED[model]()
    client = client_of(outsider())
    found = client.get(f"/admin/{model[0]}/{model[1]}/{hidden.pk}/")
    missing = client.get(f"/admin/{model[0]}/{model[1]}/{MISSING_PK}/")
    assert_same_shape(found, missing, asked=[(f"/{hidden.pk}/", f"/{MISSING_PK}/")])


def _hide_everything() -> None:
    """One hidden object of every kind, as someone else's work leaves them."""
    for build in REDIRECTED.values():
        build()
    publishing.article_schedule(
        actor=SYSTEM,
        article=Article.objects.get(slug=SECRET),
        publish_at=timezone.now() + timedelta(days=1),
    )


@pytest.mark.parametrize("name", sorted({**MODEL_URLS, **SITE_PAGES}))
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_page_about_no_object_is_the_same_whether_hidden_work_exists(name, method):
    person = outsider()
    path = {**MODEL_URLS, **SITE_PAGES}[name].format(pk=MISSING_PK)
    before = getattr(client_of(person), method)(path)
    _hide_everything()
    after = getattr(client_of(person), method)(path)
    assert_same_shape(after, before)
    assert SECRET not in after.content.decode()
