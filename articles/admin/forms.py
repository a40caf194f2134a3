"""Editors' forms. They collect input and hand it to a service; they never write a model themselves."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.defaultfilters import filesizeformat

from articles import access, featured, publishing
from articles.models import Article, Asset
from articles.publishing import Refusal, refusal_message


def add_service_error(form: forms.Form, error: Refusal, field: str | None = None) -> None:
    """Show a service's refusal on ``form``: per field where the service named one the form has,
    else on ``field`` (default: on top of the form). A permission refusal is worded as everywhere
    (``publishing.refusal_message``); a validation error keeps its messages, one per line."""
    if isinstance(error, PermissionDenied):
        form.add_error(field, refusal_message(error))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(field, error)
        return
    for name, errors in error.error_dict.items():
        name = ArticleForm.SERVICE_FIELDS.get(name, name)
        form.add_error(name if name in form.fields else field, errors)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files from one input (the pattern from Django's file-upload docs)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]

    def has_changed(self, initial, data) -> bool:
        # Changed only when a file was chosen: an empty input is no change (nor an "Attach files"
        # line in the History).
        return any(data) if isinstance(data, list | tuple) else bool(data)


class AssetChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, asset: Asset) -> str:
        visibility = "public" if getattr(asset, "is_public", False) else "private"
        return f"{asset.original_name} ({filesizeformat(asset.size)}, {visibility})"


def split_tags(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


class ArticleForm(forms.ModelForm):
    """Add or edit an article's working draft. Validating writes nothing; saving is the service call.

    The admin saves (``save_through_services``) once the form is valid. Whatever the service refuses
    (a stale ``version``, a Markdown reference to a file that is not attached, a refused upload, a
    taken slug) comes back as ``refusal`` on the same POST's form, and is shown next to the text the
    editor typed, never a 500.
    """

    # Service error keys that belong to a differently named field here.
    SERVICE_FIELDS = {"assets": "uploads"}

    title = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"class": "vLargeTextField"})
    )
    summary = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 30, "class": "vLargeTextField"}),
        help_text="Markdown. Refer to an attached file by its name, e.g. ![Chart](chart.png).",
    )
    tags = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text="Comma-separated, e.g. “security, AI”.",
    )
    keep_assets = AssetChoiceField(
        queryset=Asset.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Assets in this draft",
        help_text="Untick a file to drop it from the working draft (it stays in older revisions).",
    )
    featured_image = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        required=False,
        empty_label="None",
        help_text=(
            "Shown on the home page, tag pages, the article's header and link previews. "
            "Readers see it when this draft is published."
        ),
    )
    uploads = MultipleFileField(
        required=False,
        label="Attach files",
        help_text=(
            "PNG, JPEG, WebP, GIF or PDF. Files stay private until the draft is published; "
            "their metadata (GPS position, camera, software, PDF author …) is removed."
        ),
    )
    note = forms.CharField(
        max_length=200,
        required=False,
        label="Revision note",
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text="Why this change, e.g. “Legal's corrections”; shown in the list of revisions.",
    )
    # Not "version": that name is the model's own, non-editable counter.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # What the services refused when this POST was saved before: shown as the form's errors.
    refusal: ValidationError | PermissionDenied | None = None
    # The assets this save stored, so the admin can say what was stripped from each.
    stored_assets: tuple[Asset, ...] = ()

    class Meta:
        model = Article
        fields = ["slug"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["keep_assets"], self.fields["loaded_version"]
            del self.fields["featured_image"], self.fields["note"]
            return
        latest = self.instance.latest_revision
        self.fields["keep_assets"].queryset = Asset.objects.with_public_flag().filter(
            article=self.instance
        )
        self.fields["loaded_version"].required = True
        self.initial.setdefault("loaded_version", self.instance.version)
        if latest is not None:
            self.initial.setdefault("title", latest.title)
            self.initial.setdefault("summary", latest.summary)
            self.initial.setdefault("body", latest.body)
            self.initial.setdefault("tags", ", ".join(tag.name for tag in latest.tags.all()))
            self.initial.setdefault("keep_assets", [asset.pk for asset in latest.assets.all()])
            self.initial.setdefault("featured_image", latest.featured_image_id)
        # Among the article's images; the service refuses one that is not in the saved draft.
        self.fields["featured_image"].queryset = Asset.objects.filter(
            article=self.instance, content_type__startswith="image/"
        )

    def validate_unique(self):
        """Left to ``article_create``: a taken slug gets one neutral message whoever owns it."""

    def _post_clean(self):
        super()._post_clean()
        if self.refusal is not None:
            add_service_error(self, self.refusal)

    def save_through_services(self, *, actor) -> None:
        """Create or update the article from the valid form; services raise what they refuse."""
        if self.instance.pk is not None and not self.has_changed():
            return  # An edit that changes nothing saves nothing: no empty revision, no History line.
        data = self.cleaned_data
        files = [(upload.name, upload) for upload in data.get("uploads") or []]
        if self.instance.pk is None:
            self.instance = publishing.article_create(
                actor=actor,
                slug=data["slug"],
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                tags=split_tags(data["tags"]),
                files=files,
            )
            self.stored_assets = tuple(self.instance.latest_revision.assets.all())
            return
        revision = publishing.article_update(
            actor=actor,
            article=self.instance,
            title=data["title"],
            summary=data["summary"],
            body=data["body"],
            tags=split_tags(data["tags"]),
            files=files,
            keep_assets=data["keep_assets"],
            featured_image=(
                data.get("featured_image") if "featured_image" in self.fields else featured.KEEP
            ),
            expected_version=data["loaded_version"],
            note=data["note"],
        )
        kept = [asset.pk for asset in data["keep_assets"]]
        self.stored_assets = tuple(revision.assets.exclude(pk__in=kept))


class AccessForm(forms.Form):
    """Grant or revoke one permission on one article, for a user (by username) or a group (by name)."""

    perm = forms.ChoiceField(
        choices=[(perm, perm) for perm in access.PERMISSIONS], label="Permission"
    )
    username = forms.CharField(required=False, max_length=150, label="User (username)")
    group = forms.CharField(required=False, max_length=150, label="or group (name)")

    def clean(self):
        data = super().clean()
        username, group_name = data.get("username", ""), data.get("group", "")
        if bool(username) == bool(group_name):
            raise ValidationError("Name exactly one user or one group.")
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                self.add_error("username", f"There is no user named “{username}”.")
            data["user_obj"], data["group_obj"] = user, None
        else:
            group = Group.objects.filter(name=group_name).first()
            if group is None:
                self.add_error("group", f"There is no group named “{group_name}”.")
            data["user_obj"], data["group_obj"] = None, group
        return data


class ScheduleForm(forms.Form):
    """When to publish, and optionally when the embargo ends, in the site's time zone."""

    publish_at = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=f"In the site's time zone ({settings.TIME_ZONE}).",
    )
    unpublish_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Embargo end (optional)",
        help_text="The article is withdrawn at this time.",
    )
    # The working draft's number when the page was shown: that revision is pinned, not a later edit.
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _hours(delta: timedelta) -> int:
    return int(delta / timedelta(hours=1))


class PreviewLinkForm(forms.Form):
    """Issue a share link: who it is for and for how many hours it works."""

    label = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text="Who the link is for, e.g. “Legal review”: every copy it serves is marked with it.",
        error_messages={"required": "Say who the link is for, e.g. “Legal review”."},
    )
    hours = forms.IntegerField(
        min_value=1,
        label="Expires after (hours)",
        initial=lambda: _hours(settings.EMBARGO_PREVIEW_TTL),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        maximum = _hours(settings.EMBARGO_PREVIEW_MAX_TTL)
        self.fields["hours"].widget.attrs["max"] = maximum
        self.fields["hours"].help_text = f"At most {maximum} hours."

    def clean_hours(self) -> int:
        hours = self.cleaned_data["hours"]
        maximum = _hours(settings.EMBARGO_PREVIEW_MAX_TTL)
        if hours > maximum:
            raise ValidationError(f"A preview link may last at most {maximum} hours.")
        return hours


class VersionForm(forms.Form):
    """The article version a confirmation page was shown at, so a stale confirmation is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class RevisionCompareForm(forms.Form):
    """Pick two revisions of one article to compare."""

    old = forms.TypedChoiceField(coerce=int, label="From revision")
    new = forms.TypedChoiceField(coerce=int, label="To revision")

    def __init__(self, *args, revisions: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.revisions = {revision.number: revision for revision in revisions}
        choices = [(number, f"#{number}") for number in self.revisions]
        for name in ("old", "new"):
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                field.choices = choices
        if len(revisions) >= 2:
            self.initial = {"old": revisions[1].number, "new": revisions[0].number}

    def clean(self):
        data = super().clean()
        if "old" in data and "new" in data:
            data["old"] = self.revisions[data["old"]]
            data["new"] = self.revisions[data["new"]]
        return data
