"""Assets in an S3 bucket whose policy and ACL let anyone read them (the tests stub S3)."""

from cms.settings import *  # noqa: F403
from cms.settings import STORAGES

EMBARGO_STORAGE = "s3"
STORAGES = {
    **STORAGES,
    "assets": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "embargo-assets",
            "region_name": "us-east-1",
            "access_key": "audit-test",
            "secret_key": "audit-test",
            "default_acl": "private",
            "querystring_auth": True,
            "location": "assets",
        },
    },
}
