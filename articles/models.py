"""Embargo's data: articles, their immutable revisions, private assets, preview links and the audit trail.

The visibility rule is not here: it lives in ``access/rules.py`` (as SQL), ``access/resolve.py``
(as answers) and ``access/audience.py`` (who has access).
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
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


class Classification(models.TextChoices):
    """How carefully an article is handled (``publishing/classification.py`` holds the rules)."""

    STANDARD = "standard", "Standard"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


TAG_NAME_MAX_LENGTH = 50


class Tag(models.Model):
    """One spelling of a tag. Spellings that share a slug are one tag page (``/tags/<slug>/``).

    The slug is not unique so that an author who cannot see an article using "ZQReview tag" keeps
    the "ZQReview Tag" they typed instead of learning the hidden article's spelling.
    """

    name = models.CharField(max_length=TAG_NAME_MAX_LENGTH, unique=True)
    slug = models.CharField(max_length=60, db_index=True, validators=[validate_slug])

    objects = TagQuerySet.as_manager()
    article_count: int  # set by web.discovery.public_tags_with_counts()

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
    # Changed only through publishing.classification (a publisher; lowering needs a second one).
    classification = models.CharField(
        max_length=16, choices=Classification, default=Classification.STANDARD, editable=False
    )
    # Optimistic locking: every write bumps it; a save from a stale form is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # PostgreSQL's full-text document of the live revision while the article is published, else
    # NULL (publishing/search_index.py). On the article, not on every revision: the index then holds
    # public words only, so a word found only in a draft costs what a word found nowhere costs.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()
    # Present only on rows read through the queryset methods that annotate them.
    is_public: bool  # with_public_flag()
    is_granted: bool  # with_grant_flag(user)
    page_cache_generation: int  # read with the row by access.resolve's article lookup
    shown_title: str | None  # the admin's list (ArticleAdmin.get_queryset)
    shown_updated_at: datetime | None

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
            # Listings in the default order (visible_to: public OR granted, which no status index
            # serves) walk this index and stop at the page's last row instead of sorting them all.
            models.Index(fields=["-published_at", "-created_at"], name="article_listing_order"),
            # Created on PostgreSQL only (migration 0013); other databases search without it.
            GinIndex(fields=["search_vector"], name="article_search_vector"),
        ]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("article", args=[self.slug])

    @property
    def author_name(self) -> str:
        return byline_of(self.author)

    @property
    def working_draft(self) -> "Revision":
        """The latest revision, which every article has from its creation on."""
        if self.latest_revision is None:
            raise ValueError(f"“{self.slug}” has no revision: every article is created with one.")
        return self.latest_revision


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
    assets: "models.ManyToManyField[Asset, Any]" = models.ManyToManyField(
        "Asset", blank=True, related_name="revisions"
    )
    # One of this revision's own image assets: readers see the live revision's choice, so a new
    # choice becomes public only when the revision carrying it does.
    featured_image = models.ForeignKey(
        "Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Why it was saved, in its author's words ("Legal's changes"), shown in the list of revisions.
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "number"], name="revision_number_per_article"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} #{self.number}"


class Autosave(models.Model):
    """One editor's unsaved text of one article, kept every few seconds so a crash loses nothing.

    Not a revision: it is overwritten in place, seen only by its own editor (while they may still
    change the article), never rendered for readers, and deleted when they save or discard it.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # No length limits: text the form would refuse is still text the editor must not lose.
    title = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    tags = models.TextField(blank=True)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="autosave_per_editor")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} by {self.user_id} at {self.saved_at:%Y-%m-%d %H:%M}"


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
    # Present only on rows read through with_state() (the access rule's verdict on the link).
    is_live: bool
    creator_active: bool
    creator_may_view: bool
    creator_may_share: bool

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.article.slug})"


class Approval(models.Model):
    """A second publisher's consent, asked by one publisher and given by another.

    ``publication``: to publish (or schedule) exactly ``revision`` of a restricted article; any
    later edit voids it. ``lowering``: to lower the article's classification to ``classification``.
    An approval ends (``ended_at``) when it is used, applied, voided or replaced by a newer request.
    """

    class Kind(models.TextChoices):
        PUBLICATION = "publication", "Publication"
        LOWERING = "lowering", "Lowering the classification"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(max_length=16, choices=Kind)
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    classification = models.CharField(max_length=16, choices=Classification, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        what = self.get_kind_display().lower()
        if self.kind == self.Kind.LOWERING:
            what += f" to {self.classification}"
        return f"{what} of {self.article.slug}"

    @property
    def requested_revision(self) -> Revision:
        """The revision a publication request is for; a lowering request names none."""
        if self.revision is None:
            raise ValueError(f"Approval {self.pk} is a {self.kind} request: it names no revision.")
        return self.revision


class Mark(models.Model):
    """Whom the copies marked with this id were made for: a share link, or a signed-in reader.

    The id is what every mark carries (``articles.marking``). The row outlives its copies (deleted
    when the link is revoked or expires) and the link itself: names are copied, so a leaked copy
    still traces after the link, the article or the issuer's account is gone.
    """

    preview_link = models.OneToOneField(
        PreviewLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="mark"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    article_slug = models.CharField(max_length=200)
    # The link's label, or the reader's username, as they were when the mark was made.
    recipient = models.CharField(max_length=200)
    link_number = models.PositiveBigIntegerField(null=True, blank=True)
    issued_by = models.CharField(max_length=200, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "article"],
                condition=models.Q(reader__isnull=False),
                name="one_mark_per_reader_and_article",
            )
        ]

    def __str__(self) -> str:
        return f"mark #{self.pk} for {self.recipient} ({self.article_slug})"


class MarkedCopy(models.Model):
    """One asset (or one of its renditions) as served to one mark's recipient, stored privately."""

    mark = models.ForeignKey(Mark, on_delete=models.CASCADE, related_name="copies")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    # "" for the asset itself, else the rendition's variant, e.g. "960w.webp".
    variant = models.CharField(max_length=16, blank=True)
    file = models.FileField(storage=asset_storage, upload_to=new_storage_key, max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["mark", "asset", "variant"]
        verbose_name_plural = "marked copies"
        constraints = [
            models.UniqueConstraint(
                fields=["mark", "asset", "variant"], name="marked_copy_per_mark_asset_variant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.variant or 'original'} for {self.mark}"


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
        # Changes to people rather than articles (articles/publishing/people/): global reach, so audited.
        PERMISSIONS_CHANGE = "permissions_change", "Changed global permissions"
        MEMBERSHIP_CHANGE = "membership_change", "Changed group membership"
        ACCOUNT_CHANGE = "account_change", "Changed staff, superuser or active status"
        PASSWORD_SET = "password_set", "Set someone's password"
        DETAILS_CHANGE = "details_change", "Changed a username, name or e-mail address"
        # Classification and two-person approval (articles/publishing/classification.py, approvals.py).
        CLASSIFY = "classify", "Changed the classification"
        APPROVAL_REQUEST = "approval_request", "Asked a second publisher to approve"
        APPROVAL_GIVE = "approval_give", "Approved another publisher's request"
        PUBLICATION_HELD = "publication_held", "Held back a scheduled publication"
        DRAFT_DELETE = "draft_delete", "Deleted a never-published draft"
        # Writes that change nothing public but say who touched what (a draft, an account, a mark).
        AUTOSAVE = "autosave", "Autosaved unsaved text"
        ACCOUNT_CREATE = "account_create", "Created an account"
        TRACE = "trace", "Traced a leaked copy to its recipient"

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
    # Whose account or which group a change to people was made to (see articles/publishing/people/).
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
        # The Auditors' one right to act: take away what the page lists, never give (roles.py).
        permissions = [
            ("revoke_exposed", "Can take away the grants and share links the Exposure page lists")
        ]

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
