"""The admin's pages for personal API tokens and webhook endpoints (with their delivery log)."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from articles.api import destinations, tokens
from articles.models import ApiToken, WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Each staff member manages their own tokens (a superuser sees everyone's); secrets shown once."""

    list_display = ("prefix", "label", "owner", "created_at", "expires_at", "state", "last_used_at")
    fields = ("label", "expires_at")
    readonly_fields = ("prefix", "owner", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("owner")
        return queryset if request.user.is_superuser else queryset.filter(owner=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False  # read-only: a token is created or revoked, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked instead, so who held what stays on record

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else (*self.fields, *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.fields, *self.readonly_fields)

    @admin.display(description="state")
    def state(self, token: ApiToken) -> str:
        if token.revoked_at:
            return "revoked"
        if token.expires_at and token.expires_at <= timezone.now():
            return "expired"
        return "live" if token.owner.is_active else "owner deactivated"

    def save_model(self, request, obj, form, change):
        token, secret = tokens.api_token_create(
            owner=request.user, label=obj.label, expires_at=obj.expires_at
        )
        obj.pk = token.pk
        messages.warning(
            request,
            format_html("Your new token (shown only now, copy it): <code>{}</code>", secret),
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.api_token_revoke(token=token)
        messages.success(request, f"Revoked {len(queryset)} token(s).")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = readonly_fields = ("at", "status_code", "error")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = readonly_fields = ("created_at", "event", "attempts", "delivered_at", "gave_up")
    extra = 0
    can_delete = False
    show_change_link = True
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at", "-pk")


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        min_length=24,
        help_text="At least 24 characters; the receiver checks Embargo-Signature with it.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "secret", "events", "is_active")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            destinations.destination(url)
        except destinations.Unresolvable:
            pass  # not in DNS yet: every delivery resolves and checks it again before connecting
        except destinations.UnsafeDestination as refused:
            raise forms.ValidationError(str(refused)) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "events", "is_active", "created_at")
    fields = ("url", "secret", "events", "is_active")
    inlines = [DeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: each try with the status that came back. Read-only."""

    list_display = ("created_at", "endpoint", "event", "attempts", "delivered_at", "gave_up")
    list_filter = ("event", "gave_up")
    readonly_fields = ("endpoint", "event", "payload", "created_at", "attempts", "delivered_at")
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
