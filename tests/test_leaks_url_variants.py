"""The article and asset URLs asked otherwise (other spellings, query strings, the numeric id, other
methods, another file name): a draft answers each exactly as a slug or token that never existed."""

import pytest

from tests.leak_matrix import SECRET_TITLE, assert_same_as_missing, client_for, make_article
from tests.response_shape import assert_same_shape, body_of

VARIANTS = [
    "/articles/{slug}",  # no trailing slash: APPEND_SLASH redirects both alike
    "/articles/{upper}/",
    "/articles/{encoded}/",
    "/articles/{slug}/?preview=1",
    "/articles/{slug}/?format=json",
    "/articles/{slug}/draft/?preview=1",
    "/articles/{pk}/",
    "/articles/{slug}/draft",
    "/articles/{encoded}/draft/",
]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("person", ["anonymous", "forged_session", "no_grant", "revoked"])
def test_url_variants_of_a_draft_look_like_a_missing_article(
    client, people, roles, variant, person
):
    draft = make_article("draft", people, roles)
    client = client_for(client, people[person])
    encoded = "".join(f"%{ord(ch):02X}" for ch in draft.slug)

    def url(slug, pk):
        return variant.format(slug=slug, upper=slug.upper(), encoded=encoded, pk=pk)

    response = client.get(url(draft.slug, draft.pk))
    reference = client.get(url("never-existed", 987654))
    # A redirect names the URL asked for, so each side masks the slug it asked with.
    assert_same_shape(response, reference, asked=[(draft.slug, "never-existed")])
    assert SECRET_TITLE.encode() not in body_of(response)


@pytest.mark.parametrize("method", ["post", "options", "put", "delete", "patch"])
@pytest.mark.parametrize("path", ["/articles/{slug}/", "/assets/{token}/chart.png"])
@pytest.mark.parametrize("person", ["anonymous", "forged_session", "no_grant"])
def test_other_methods_do_not_tell_a_draft_from_nothing(
    client, people, roles, method, path, person
):
    draft = make_article("draft", people, roles)
    client = client_for(client, people[person])
    token = draft.assets.get().token
    response = getattr(client, method)(path.format(slug=draft.slug, token=token))
    reference = getattr(client, method)(path.format(slug="never-existed", token="A" * 32))
    assert response.status_code == reference.status_code == 405
    assert_same_shape(response, reference)


def test_asset_url_with_another_name_is_the_missing_404(client, people, roles):
    published = make_article("published", people, roles)
    token = published.assets.get().token
    assert client.get(f"/assets/{token}/chart.png").status_code == 200
    response = client.get(f"/assets/{token}/other.png")
    assert_same_as_missing(response, client.get(f"/assets/{'A' * 32}/other.png"))
