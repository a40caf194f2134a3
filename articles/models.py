"""Embargo's data: articles, their immutable revisions, private assets, preview links and the audit trail.

The visibility rule is not here: it lives in ``access/rules.py`` (as SQL) and ``access/resolve.py`` (as answers).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from articles.access.querysets import (
    ArticleQuerySet,
    AssetQuerySet,
    PreviewLinkQuerySet,
    TagQuerySet,
)
from articles.storage import asset_storage, new_storage_key

validate_slug = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z",
    message=(
        "Use lowercase letters, digits and single hyphens only, e.g. “mythos-leak”: "
        "no spaces, capitals, accents, or other characters that do not belong in a URL."
    ),
    code="invalid_slug",
)


def new_asset_token() -> str:
    """An unguessable 192-bit, URL-safe token: the only handle an asset URL carries."""
    return secrets.token_urlsafe(24)


def new_preview_key() -> str:
    return secrets.token_urlsafe(18)


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Tag(models.Model):
    """One spelling of a tag. Spellings that share a slug are one tag page (``/tags/<slug>/``).

    The slug is not unique so that an author who cannot see an article using "ZQReview tag" keeps
    the "ZQReview Tag" they typed instead of learning the hidden article's spelling.
    """

    name = models.CharField(max_length=50, unique=True)
    slug = models.CharField(max_length=60, db_index=True, validators=[validate_slug])

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag", args=[self.slug])


def byline_of(user) -> str:
    """The name public pages print for an article's author (``None``: the site's own staff)."""
    if user is None:
        return "Embargo staff"
    return user.get_full_name() or user.get_username()


class Article(models.Model):
    """An article's identity and state. Its words live in revisions; readers see ``live_revision``."""

    slug = models.CharField(max_length=200, unique=True, validators=[validate_slug])
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_articles",
    )
    publish_at = models.DateTimeField(null=True, blank=True, help_text="When to publish (UTC).")
    unpublish_at = models.DateTimeField(
        null=True, blank=True, help_text="Embargo end: withdrawn at this time (UTC)."
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    live_revision = models.ForeignKey(
        "Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    latest_revision = models.ForeignKey(
        "Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The revision a publisher scheduled: the due publication publishes exactly this one, so an edit
    # made after scheduling (by someone without publish) stays a working draft on top of it.
    scheduled_revision = models.ForeignKey(
        "Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Optimistic locking: every write bumps it; a save from a stale form is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        permissions = [
            ("publish_article", "Can publish, schedule and withdraw articles"),
            ("share_article", "Can issue and revoke preview links"),
            # The Access administrators role (roles.py; what it allows is in people.py).
            (
                "administer_access",
                "Can change global article permissions, role groups and accounts",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_published"),
            models.Index(fields=["status", "publish_at"], name="article_status_publish_at"),
        ]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("article", args=[self.slug])

    @property
    def author_name(self) -> str:
        return byline_of(self.author)


class Revision(models.Model):
    """One saved version of an article's words and attachments. Never edited after creation."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=500, blank=True)
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(editable=False)
    # The plain text of body_html (rendering.html_text): what search indexes and quotes.
    body_text = models.TextField(editable=False, default="")
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="revisions")
    assets = models.ManyToManyField("Asset", blank=True, related_name="revisions")
    # One of this revision's own image assets: readers see the live revision's choice, so a new
    # choice becomes public only when the revision carrying it does.
    featured_image = models.ForeignKey(
        "Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "number"], name="revision_number_per_article"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} #{self.number}"


class Asset(models.Model):
    """A file attached to an article, stored privately under a random key and served by token."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="assets")
    token = models.CharField(max_length=64, unique=True, default=new_asset_token, editable=False)
    file = models.FileField(storage=asset_storage, upload_to=new_storage_key, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    removed_metadata = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="What was stripped from the file at upload (field names, never their values).",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["article", "original_name", "-created_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("asset", args=[self.token, self.download_name])

    @property
    def download_name(self) -> str:
        from articles.validation import safe_download_name

        return safe_download_name(self.original_name)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Rendition(models.Model):
    """A resized copy of an image asset (``articles/renditions.py``), stored and served like it.

    It has no token of its own: its URL is its asset's URL plus a variant, and it is served only
    after the access check for that asset, so it is public exactly when its original is.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="renditions")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=8)  # file extension: webp, png, jpg, gif
    content_type = models.CharField(max_length=100)
    file = models.FileField(storage=asset_storage, upload_to=new_storage_key, max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["asset", "format", "width"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "width", "format"], name="rendition_per_asset_width_format"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.variant}"

    def get_absolute_url(self) -> str:
        return reverse(
            "asset-rendition", args=[self.asset.token, self.variant, self.asset.download_name]
        )

    @property
    def variant(self) -> str:
        """The URL segment naming this copy, e.g. ``960w.webp``."""
        return f"{self.width}w.{self.format}"


class PreviewLink(models.Model):
    """A revocable, expiring share link to one revision of an article, for someone without an account.

    Whether it works is the rule's answer (``PreviewLinkQuerySet.live``): not revoked, not expired,
    and its creator still active and holding ``share`` and ``view`` on the article.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    # The revision current when the link was issued (or last updated): later drafts are not shared.
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="preview_links")
    key = models.CharField(max_length=32, unique=True, default=new_preview_key, editable=False)
    label = models.CharField(max_length=200, help_text="Who the link is for, e.g. “Legal review”.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why it was revoked, in words, e.g. "revoked by ada" or "its creator lost the view permission".
    revoked_reason = models.CharField(max_length=200, blank=True, editable=False)
    # Issued by the trusted shell (``actor=SYSTEM``): no person whose access it depends on. Without this
    # flag a link whose creator's account was deleted (created_by set to NULL) would look the same.
    issued_by_shell = models.BooleanField(default=False, editable=False)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.article.slug})"


class AuditEvent(models.Model):
    """An append-only record of who did or saw what. Rows are never updated or deleted."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        EDIT = "edit", "Edited"
        REVERT = "revert", "Reverted"
        SUBMIT = "submit", "Submitted for review"
        SCHEDULE = "schedule", "Scheduled"
        PUBLISH = "publish", "Published"
        WITHDRAW = "withdraw", "Withdrawn"
        RETURN_TO_DRAFT = "return_to_draft", "Returned to draft"
        ASSET_ATTACH = "asset_attach", "Attached an asset"
        GRANT = "grant", "Granted access"
        REVOKE = "revoke", "Revoked access"
        PREVIEW_ISSUE = "preview_issue", "Issued a preview link"
        PREVIEW_REVOKE = "preview_revoke", "Revoked a preview link"
        PREVIEW_USE = "preview_use", "Opened a preview link"
        PREVIEW_UPDATE = "preview_update", "Moved a preview link to the current draft"
        SLUG_REFUSED = "slug_refused", "Tried a slug that is not available"
        VIEW = "view", "Viewed a non-public article"
        ASSET_VIEW = "asset_view", "Downloaded a non-public asset"
        # Changes to people rather than articles (articles/publishing/people.py): global reach, so audited.
        PERMISSIONS_CHANGE = "permissions_change", "Changed global permissions"
        MEMBERSHIP_CHANGE = "membership_change", "Changed group membership"
        ACCOUNT_CHANGE = "account_change", "Changed staff, superuser or active status"
        PASSWORD_SET = "password_set", "Set someone's password"
        DETAILS_CHANGE = "details_change", "Changed a username, name or e-mail address"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=32, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    preview_link = models.ForeignKey(
        PreviewLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Names are copied so the trail still reads after a user, link or article is deleted.
    actor_name = models.CharField(max_length=200)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    article_slug = models.CharField(max_length=200, blank=True)
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    route = models.CharField(max_length=500, blank=True)
    # Whose account or which group a change to people was made to (see articles/publishing/people.py).
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_group = models.ForeignKey(
        "auth.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_name = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["article", "-at"], name="audit_article_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"


class PageCacheGeneration(models.Model):
    """A counter bumped whenever what is public changes; the page cache keys every entry by it.

    It lives in the database rather than the cache so that a purge from any process (a management
    command, another server) reaches every process, whatever cache backend each one uses.
    """

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class ArticleUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Article, on_delete=models.CASCADE)


class ArticleGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Article, on_delete=models.CASCADE)


class ApiToken(models.Model):
    """A personal, read-only API token: reads exactly what its owner may read, while they may.

    Only a SHA-256 of the secret is stored (the secret is 256 random bits, so a slow hash adds
    nothing); the secret itself is shown once, when the token is created.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    label = models.CharField(max_length=200, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text="Shown to tell tokens apart."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or 'no label'})"


class WebhookEndpoint(models.Model):
    """Where to tell another system that public content changed (published, updated, withdrawn)."""

    class Event(models.TextChoices):
        PUBLISHED = "published", "published"
        UPDATED = "updated", "updated"
        WITHDRAWN = "withdrawn", "withdrawn"

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Signs every delivery (HMAC-SHA256).")
    events = models.JSONField(default=list, help_text='Any of "published", "updated", "withdrawn".')
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, written in the transaction of the change."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=16, choices=WebhookEndpoint.Event)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    gave_up = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery, and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} → {self.status_code or self.error}"


class ExposureRun(models.Model):
    """One recorded run of ``audit_exposure``: when, what it probed, and whether anything got out.

    Holding ``view_exposurerun`` (the Auditors role) is what opens the Exposure page in the admin.
    """

    class Source(models.TextChoices):
        COMMAND = "command", "manage.py audit_exposure --record"
        DAILY = "daily", "the daily run of the publish job"

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source)
    base_url = models.CharField(
        max_length=500, blank=True, help_text="The deployment probed over HTTP; blank: in-process."
    )
    objects_checked = models.PositiveIntegerField()
    requests = models.PositiveIntegerField()
    # How many probes each stage made, in the auditor's words ("Probing non-public objects": 120 …).
    probed = models.JSONField(default=dict)
    errors = models.PositiveIntegerField()
    warnings = models.PositiveIntegerField()

    class Meta:
        ordering = ["-started_at", "-pk"]
        # The admin index links this model's entry, which is the Exposure page, by this name.
        verbose_name_plural = "exposure"

    def __str__(self) -> str:
        return f"exposure run #{self.pk} ({'passed' if self.passed else 'failed'})"

    @property
    def passed(self) -> bool:
        """The command's verdict: no leak and no configuration error (warnings do not fail)."""
        return self.errors == 0

    @property
    def duration(self) -> timedelta:
        return self.finished_at - self.started_at


class ExposureFinding(models.Model):
    """One thing a recorded run found wrong, as the auditor reported it."""

    run = models.ForeignKey(ExposureRun, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(max_length=16)
    # What leaked or is misconfigured: an article's label, an asset, "settings", "the site".
    subject = models.CharField(max_length=500)
    kind = models.CharField(max_length=200, help_text="The vector: “asset URL (Range)” …")
    door = models.CharField(max_length=2000, blank=True, help_text="The URL that answered.")
    detail = models.TextField()

    class Meta:
        ordering = ["run", "pk"]

    def __str__(self) -> str:
        return f"{self.severity}: {self.subject} via {self.kind}"
