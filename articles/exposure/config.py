"""The configuration half of the audit: settings, buckets and people that expose unpublished work.

The settings that turned the Mythos exposure from possible into certain (uploads under a publicly
served directory, a route serving storage directly, a public bucket, a page cache that stores
private responses, DEBUG, wildcard hosts, a weak secret key) plus Django's own deployment checks.
"""

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core import checks as django_checks

from articles import checks
from articles.access import global_permission_holders
from articles.exposure.report import ERROR, WARNING, Finding
from articles.storage import asset_storage

# Deployment checks the configuration half reports itself, with its own wording and severity.
COVERED_CHECKS = {"security.W009", "security.W018", "embargo.E003"}
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


def _config(severity: str, message: str, fix: str) -> Finding:
    return Finding(severity, "settings", "", "configuration", f"{message} Fix: {fix}")


def s3_client():
    """The boto3 client of the configured S3 asset storage."""
    return asset_storage().connection.meta.client


def bucket_findings(client, bucket: str) -> list[Finding]:
    """Whether the bucket's policy or ACL lets anyone read it (both asked, neither trusted alone)."""
    findings = []
    fix = (
        f"remove public statements from the policy of bucket “{bucket}”, set its ACL to private "
        "and turn on S3 Block Public Access; assets are served only through /assets/<token>/."
    )
    try:
        status = client.get_bucket_policy_status(Bucket=bucket)
        if status["PolicyStatus"]["IsPublic"]:
            findings.append(
                _config(ERROR, f"The bucket policy of “{bucket}” allows public reads.", fix)
            )
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
            findings.append(_unverifiable(bucket, "policy status", error))
    except BotoCoreError as error:
        findings.append(_unverifiable(bucket, "policy status", error))
    try:
        acl = client.get_bucket_acl(Bucket=bucket)
        for grant in acl.get("Grants", []):
            grantee = grant.get("Grantee", {}).get("URI")
            if grantee in PUBLIC_GRANTEES and grant["Permission"] in ("READ", "FULL_CONTROL"):
                who = grantee.rsplit("/", 1)[-1]
                findings.append(
                    _config(
                        ERROR,
                        f"The ACL of bucket “{bucket}” grants {grant['Permission']} to {who}.",
                        fix,
                    )
                )
    except (ClientError, BotoCoreError) as error:
        findings.append(_unverifiable(bucket, "ACL", error))
    return findings


def _unverifiable(bucket: str, what: str, error: Exception) -> Finding:
    return _config(
        WARNING,
        f"Could not read the {what} of bucket “{bucket}” ({error}), so it is not known to be private.",
        "let the audit's credentials call s3:GetBucketPolicyStatus and s3:GetBucketAcl.",
    )


def configuration_findings(*, s3=None) -> list[Finding]:
    """Settings that expose unpublished work, each with how to fix it."""
    findings = _settings_findings()
    if settings.EMBARGO_STORAGE == "s3":
        findings += bucket_findings(s3 or s3_client(), asset_storage().bucket_name)
    return findings + _deployment_check_findings()


def _settings_findings() -> list[Finding]:
    findings = []
    if settings.DEBUG:
        findings.append(
            _config(
                ERROR,
                "DEBUG is on: error pages show settings, SQL, URL patterns and stack frames with "
                "draft content to anyone.",
                "unset DJANGO_DEBUG (or set it to false).",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        findings.append(
            _config(
                ERROR,
                "ALLOWED_HOSTS contains “*”: any Host header is accepted, so absolute links "
                "(share links, feeds) can be made to point elsewhere.",
                "set DJANGO_ALLOWED_HOSTS to the site's own host names.",
            )
        )
    key = str(settings.SECRET_KEY)
    if len(key) < 50 or key.startswith("django-insecure-") or len(set(key)) < 5:
        findings.append(
            _config(
                ERROR,
                "SECRET_KEY is short, default or generated for development: preview links and "
                "sessions signed with it can be forged.",
                "set DJANGO_SECRET_KEY to a random value of at least 50 characters, e.g. "
                '"$(python -c "import secrets; print(secrets.token_urlsafe(50))")".',
            )
        )
    return findings


def _deployment_check_findings() -> list[Finding]:
    """Django's own security and cache checks, less those reported above in our own words."""
    findings = []
    messages = django_checks.run_checks(
        include_deployment_checks=True,
        tags=[django_checks.Tags.security, django_checks.Tags.caches],
    )
    for message in messages:
        if message.level < django_checks.WARNING or message.id in COVERED_CHECKS:
            continue
        severity = ERROR if message.level >= django_checks.ERROR else WARNING
        text = f"{message.msg} ({message.id})"
        findings.append(
            _config(
                severity,
                text,
                message.hint
                or "see Django's deployment checklist (python manage.py check --deploy).",
            )
        )
    return findings


def people_findings() -> list[Finding]:
    """Non-superusers who read every draft, or who may edit accounts and groups (warnings)."""
    findings = [
        Finding(
            WARNING,
            f"user {holder.username}",
            "",
            "global permission",
            f"reads every unpublished article: holds {holder.permission} {holder.source}.",
        )
        for holder in global_permission_holders(["articles.view_article"])
    ]
    findings += [
        Finding(
            WARNING,
            f"user {holder.username}",
            "",
            "account administration",
            f"holds {holder.permission} {holder.source} without being a superuser: may edit "
            "other people's accounts or groups in the admin.",
        )
        for holder in global_permission_holders(checks.ACCOUNT_ADMIN_PERMISSIONS)
    ]
    return findings
