"""Asset delivery modes against an S3 emulator (moto's standalone server, not a real S3)."""

import shutil
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.config import Config

from articles.models import Status
from tests.factories import make_article, make_user, pdf_bytes, png_upload
from tests.processes import free_port, start, stop

BUCKET = "embargo-test-assets"


@pytest.fixture(scope="module")
def s3_emulator():
    server = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(server).exists():
        pytest.skip("moto[server] is not installed (it is in the test extras)")
    port = free_port()
    process = start([server, "-H", "127.0.0.1", "-p", str(port)], port)
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture
def s3_assets(s3_emulator, settings, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "emulator")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "emulator")
    client = boto3.client("s3", endpoint_url=s3_emulator, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "assets": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_emulator,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "location": "assets",
                "client_config": Config(
                    connect_timeout=3, read_timeout=10, signature_version="s3v4"
                ),
            },
        },
    }
    return client


def test_stream_reads_the_object_as_it_arrives(db, s3_assets, client, settings, monkeypatch):
    settings.EMBARGO_ASSET_DELIVERY = "stream"

    def whole_object_download(self, *args, **kwargs):
        raise AssertionError("S3File downloads the whole object before the first byte")

    upload = png_upload()
    article = make_article("public-story", status=Status.PUBLISHED, files=(upload,))
    monkeypatch.setattr("storages.backends.s3.S3File._get_file", whole_object_download)
    response = client.get(article.assets.get().get_absolute_url())
    assert response.status_code == 200 and response.streaming
    assert (
        b"".join(response.streaming_content)
        == s3_assets.get_object(Bucket=BUCKET, Key=f"assets/{article.assets.get().file.name}")[
            "Body"
        ].read()
    )


def test_presigned_redirects_a_private_asset_after_the_check(db, s3_assets, client, settings):
    settings.EMBARGO_ASSET_DELIVERY = "presigned"
    article = make_article("quiet-story", files=(pdf_bytes("card.pdf"),))
    asset = article.assets.get()
    assert client.get(asset.get_absolute_url()).status_code == 404  # the check comes first
    client.force_login(make_user("editor-in-chief", perms=("view_article",)))
    response = client.get(asset.get_absolute_url())
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store, max-age=0"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    # S3 answers with these headers; the emulator does not apply the overrides, so read the URL.
    assert query["response-content-disposition"] == ['attachment; filename="card.pdf"']
    assert query["response-content-type"] == ["application/pdf"]
    with urllib.request.urlopen(response["Location"], timeout=10) as stored:  # noqa: S310
        assert stored.read().startswith(b"%PDF")


def test_presigned_still_streams_public_assets(db, s3_assets, client, settings):
    settings.EMBARGO_ASSET_DELIVERY = "presigned"
    article = make_article("public-story", status=Status.PUBLISHED, files=(png_upload(),))
    response = client.get(article.assets.get().get_absolute_url())
    assert response.status_code == 200 and response.streaming
    assert response["Cache-Control"].startswith("public")


def test_x_accel_hands_the_file_to_nginx_after_the_check(db, client, settings):
    settings.EMBARGO_ASSET_DELIVERY = "x-accel"
    article = make_article("public-story", status=Status.PUBLISHED, files=(png_upload(),))
    asset = article.assets.get()
    response = client.get(asset.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_embargo_assets/{asset.file.name}"
    assert response.content == b"" and response["Content-Length"] == "0"  # not the file's size
    assert response["Content-Type"] == "image/png"
    draft = make_article("quiet-story", files=(png_upload(),)).assets.get()
    hidden = client.get(draft.get_absolute_url())
    assert hidden.status_code == 404 and "X-Accel-Redirect" not in hidden
