"""cms.urls plus the route that serves the upload directory to anyone."""

from django.conf import settings
from django.conf.urls.static import static

from cms.urls import handler404, handler500
from cms.urls import urlpatterns as site_patterns

urlpatterns = [*site_patterns, *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)]

__all__ = ["handler404", "handler500", "urlpatterns"]
