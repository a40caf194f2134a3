"""The User and Group admin, replacing Django's: every change to who reaches what goes through people.py.

Django's own pages write ``is_staff``, groups and global permissions straight to the database, so a
staff member with ``auth.change_user`` could give themselves every draft unaudited. Here the forms
ask ``people.*_check`` while validating (a refusal is a form error and nothing is saved) and save
through ``people.*_change``, which checks again and writes the audit event.
"""

import contextvars

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.options import Options
from django.utils.html import format_html, format_html_join

from articles import access
from articles.admin.forms import add_service_error
from articles.publishing import people
from articles.publishing.accounts import account_created
from articles.roles import ACCESS_ADMINISTRATORS, MEANINGFUL_PERMISSIONS, ROLE_DESCRIPTIONS, ROLES

ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")
# Forms that are not told who is acting refuse everything: None would mean the trusted shell.
NOBODY = AnonymousUser()
# The signed-in person behind the password form, for this request only (the admin is shared).
_acting = contextvars.ContextVar("embargo_people_actor", default=NOBODY)


def roles_explained() -> str:
    """Each role and what it lets a person do, as HTML for a fieldset description."""
    return format_html(
        "<p>What each role lets a person do:</p><ul>{}</ul>"
        "<p>Superusers may do everything, everywhere. Global article permissions below reach "
        "every article, drafts included.</p>",
        format_html_join("", "<li><strong>{}</strong>: {}</li>", ROLE_DESCRIPTIONS.items()),
    )


def what_you_may_change(actor) -> str:
    """In plain words, which of the access fields ``actor`` may change here."""
    if actor.is_superuser:
        return "You are a superuser: you may change everything on this page."
    if people.is_access_administrator(actor):
        return (
            "As an access administrator you may change staff and active status, "
            "role groups, global article permissions and passwords; superuser status, membership "
            f"of “{ACCESS_ADMINISTRATORS}”, permissions outside articles and superusers' "
            "accounts are for superusers."
        )
    return (
        "You may change names and e-mail addresses. Usernames, status, groups, permissions and "
        "passwords "
        f"are changed only by superusers and members of “{ACCESS_ADMINISTRATORS}”: "
        "a save that changes them is refused and changes nothing."
    )


class _MayManagePeople:
    """Django's model permissions, or the Access administrators role; deleting is for superusers."""

    opts: Options  # the ModelAdmin's, which this is mixed into

    def _allowed(self, request, action: str) -> bool:
        codename = f"{self.opts.app_label}.{action}_{self.opts.model_name}"
        return request.user.has_perm(codename) or people.is_access_administrator(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or people.is_access_administrator(
            request.user
        )

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view") or self._allowed(request, "change")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change")

    def has_add_permission(self, request):
        return self._allowed(request, "add")

    def has_delete_permission(self, request, obj=None):
        # Deleting drops grants without a trace in the trail; deactivate people instead.
        return request.user.is_superuser


class PeopleUserChangeForm(UserChangeForm):
    actor = NOBODY  # the signed-in person, set on a per-request subclass by get_form

    def clean(self):
        cleaned = super().clean()
        try:
            people.user_details_check(actor=self.actor, user=self.instance, **self.details_data())
            people.user_access_check(actor=self.actor, user=self.instance, **self.access_data())
        except (PermissionDenied, ValidationError) as error:
            add_service_error(self, error)
        return cleaned

    def details_data(self) -> dict:
        """Username, names and e-mail as this form has them, for ``people.user_details_*``."""
        return {
            field: self.cleaned_data[field]
            for field in people.DETAIL_FIELDS
            if field in self.fields and field in self.cleaned_data
        }

    def access_data(self) -> dict:
        """The access fields this form shows, as ``people.user_access_*`` keyword arguments."""
        data = {
            field: self.cleaned_data.get(field)
            for field in ACCESS_FIELDS
            if field in self.fields and field in self.cleaned_data
        }
        if "user_permissions" in data:
            data["permissions"] = data.pop("user_permissions")
        return data


class PeopleUserCreationForm(AdminUserCreationForm):
    """Django's add form, also refusing names that would pass for someone else (people.py)."""

    def clean_username(self):
        username = super().clean_username()
        if username and (problem := people.username_problem(username)):
            raise ValidationError(problem)
        return username


class PeoplePasswordForm(AdminPasswordChangeForm):
    """Django's password form, refused (as a form error) unless people.py allows it, and audited."""

    def clean(self):
        cleaned = super().clean()
        try:
            people.user_password_check(actor=_acting.get(), user=self.user)
        except (PermissionDenied, ValidationError) as error:
            # On the field: Django's password page shows no form-wide errors.
            add_service_error(self, error, "password1")
        return cleaned

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        people.user_password_set(
            actor=_acting.get(),
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
        )
        return self.user


class PeopleUserAdmin(_MayManagePeople, UserAdmin):
    form = PeopleUserChangeForm
    add_form = PeopleUserCreationForm
    change_password_form = PeoplePasswordForm

    def get_queryset(self, request):
        # Guardian's anonymous row is a placeholder, not a person: nothing here may change it.
        return access.real_people(super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        described = []
        for name, options in fieldsets:
            if "groups" in options.get("fields", ()):
                description = format_html(
                    "<p><strong>{}</strong></p>{}",
                    what_you_may_change(request.user),
                    roles_explained(),
                )
                options = {**options, "description": description}
            described.append((name, options))
        return described

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form = type(form.__name__, (form,), {"actor": request.user})
        return form

    def save_model(self, request, obj, form, change):
        """Username, names and e-mail through the audited service; the access fields keep their
        stored values until save_related (the admin runs both in one transaction)."""
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            for field in ("is_active", "is_staff", "is_superuser", *people.DETAIL_FIELDS):
                setattr(obj, field, getattr(stored, field))
        super().save_model(request, obj, form, change)
        if change:
            people.user_details_change(actor=request.user, user=obj, **form.details_data())
        else:
            account_created(actor=request.user, user=obj)

    def save_related(self, request, form, formsets, change):
        """Status, groups and permissions through the audited service, never ``save_m2m``."""
        if change:
            people.user_access_change(actor=request.user, user=form.instance, **form.access_data())
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def user_change_password(self, request, id, form_url=""):
        token = _acting.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _acting.reset(token)


class PeopleGroupForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=access.real_people(User.objects).order_by("username"),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
        help_text="Everyone here holds the group's permissions, on every article they cover.",
    )
    actor = NOBODY  # the signed-in person, set on a per-request subclass by get_form

    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = self.instance.user_set.all()

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name") or ""
        renamed = not self.instance.pk or "name" in self.changed_data
        if renamed and name in ROLES and not getattr(self.actor, "is_superuser", False):
            self.add_error("name", f"“{name}” is a role's name; only superusers may create it.")
        try:
            people.group_access_check(
                actor=self.actor,
                group=self.instance if self.instance.pk else None,
                name=name,
                permissions=cleaned.get("permissions"),
                members=cleaned.get("members"),
            )
        except (PermissionDenied, ValidationError) as error:
            add_service_error(self, error)
        return cleaned


class PeopleGroupAdmin(_MayManagePeople, GroupAdmin):
    form = PeopleGroupForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form = type(form.__name__, (form,), {"actor": request.user})
        permissions = form.base_fields["permissions"]
        meaningful = Q()
        for app_label, codenames in MEANINGFUL_PERMISSIONS.items():
            meaningful |= Q(content_type__app_label=app_label, codename__in=codenames)
        # Plus what the group holds already, so that saving the page never drops it silently.
        held = Q(group=obj) if obj is not None else Q(pk__in=[])
        permissions.queryset = permissions.queryset.filter(meaningful | held).distinct()
        return form

    def get_fieldsets(self, request, obj=None):
        role = ROLE_DESCRIPTIONS.get(obj.name) if obj is not None else None
        summary = (
            format_html("<p><strong>Members of this role</strong>: {}</p>", role) if role else ""
        )
        description = format_html(
            "{}<p><strong>{}</strong></p>{}",
            summary,
            what_you_may_change(request.user),
            roles_explained(),
        )
        return [(None, {"fields": ["name", "permissions", "members"], "description": description})]

    def get_readonly_fields(self, request, obj=None):
        # Roles are found by name (roles.py); renaming one would quietly end it.
        return ["name"] if obj is not None and obj.name in ROLES else []

    def save_related(self, request, form, formsets, change):
        """Permissions and members through the audited service, never ``save_m2m``."""
        people.group_access_change(
            actor=request.user,
            group=form.instance,
            permissions=form.cleaned_data.get("permissions"),
            members=form.cleaned_data.get("members"),
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.register(User, PeopleUserAdmin)
admin.site.register(Group, PeopleGroupAdmin)
