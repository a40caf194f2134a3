"""How an asset's bytes reach the reader, once the access check has let the request through.

``EMBARGO_ASSET_DELIVERY`` chooses:

- ``stream`` (default): the worker streams the file in chunks. From S3 it reads the object's body
  as it arrives (django-storages' ``S3File`` would download the whole object first, holding a
  worker and the object's size in memory before the first byte).
- ``presigned`` (S3 only): a private asset is answered with a redirect to a presigned URL that
  expires in ``PRESIGNED_SECONDS`` and makes the store send the right ``Content-Type`` and
  ``Content-Disposition``; the worker is free at once. Public assets are still streamed, so that
  caches in front keep them under the site's URL.
- ``x-accel`` (local storage only): an empty response with ``X-Accel-Redirect`` to the internal
  nginx location ``X_ACCEL_PREFIX``, which serves the file from ``EMBARGO_ASSET_ROOT`` (README).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.http.response import ResponseHeaders
from django.utils.http import content_disposition_header

PRESIGNED_SECONDS = 300
X_ACCEL_PREFIX = "/_embargo_assets/"
CHUNK_BYTES = 64 * 1024


def _is_s3(storage) -> bool:
    return hasattr(storage, "bucket") and hasattr(storage, "_normalize_name")


def body_response(served, *, attachment: bool, filename: str) -> HttpResponse | FileResponse:
    """A response carrying (or, for x-accel, pointing nginx at) the bytes of ``served``.

    ``served`` is an asset or one of its renditions; the caller has already checked access.
    """
    if settings.EMBARGO_ASSET_DELIVERY == "x-accel":
        pointer = HttpResponse(content_type=served.content_type)
        if disposition := content_disposition_header(attachment, filename):
            pointer["Content-Disposition"] = disposition
        pointer["X-Accel-Redirect"] = X_ACCEL_PREFIX + quote(served.file.name)
        return pointer
    storage = served.file.storage
    if _is_s3(storage):
        key = storage._normalize_name(served.file.name)
        filelike = storage.bucket.Object(key).get()["Body"]  # a stream, read as it arrives
    else:
        filelike = served.file.open("rb")
    # Any: it carries the site's own ``embargo_*`` attributes, which Django's class does not declare.
    response: Any = FileResponse(
        filelike,
        as_attachment=attachment,
        filename=filename,
        content_type=served.content_type,
    )
    response.block_size = CHUNK_BYTES
    if not _is_s3(storage):
        # Where the bytes are, should the page cache keep this response (``StoredFile``).
        response.embargo_file_path = served.file.path
    return response


@dataclass(frozen=True)
class StoredFile:
    """A public file response as the page cache keeps it: its headers, in order, and its file's path.

    The bytes stay on disk; a hit opens the file again and answers with the very headers the
    fresh response carried, without the session, URL resolution, access check and view a miss
    runs. It is kept and served under the page-cache generation like any public page, so a change
    of what is public (a withdrawal) stops it at once, and for its ``max-age`` (the cache entry's
    own timeout). A hit counts that down to its article's embargo end, which time alone reaches
    with no change to replace the generation, and runs as a miss once it has come
    (``PublicPageCacheMiddleware._counted_down``).
    """

    path: str
    content_type: str
    headers: tuple[tuple[str, str], ...]
    max_age: int
    # The embargo end its max-age was bounded by, if any (``caching.max_age_left``).
    ends_at: datetime | None

    @classmethod
    def of(cls, response: Any) -> "StoredFile | None":
        """What to keep of a public file response; None for one whose file has no local path (S3)."""
        path = getattr(response, "embargo_file_path", None)
        if path is None:
            return None
        return cls(
            path,
            response["Content-Type"],
            tuple(response.items()),
            response.embargo_max_age,
            response.embargo_ends_at,
        )

    def response(self) -> FileResponse | None:
        """The response again, or None when its file is gone (the request then runs as a miss)."""
        try:
            filelike = open(self.path, "rb")  # noqa: SIM115  (closed by the response, once sent)
        except OSError:
            return None
        # An explicit content type: FileResponse then guesses nothing from the name.
        response: Any = FileResponse(filelike, content_type=self.content_type)
        response.block_size = CHUNK_BYTES
        response.headers = ResponseHeaders(dict(self.headers))
        response.embargo_public = True
        response.embargo_max_age = self.max_age
        response.embargo_ends_at = self.ends_at
        return response


def redirects_private_assets() -> bool:
    return settings.EMBARGO_ASSET_DELIVERY == "presigned"


def presigned_redirect(served, *, attachment: bool, filename: str) -> HttpResponseRedirect:
    """A redirect to a presigned URL for ``served``, valid ``PRESIGNED_SECONDS``; after the check."""
    url = served.file.storage.url(
        served.file.name,
        parameters={
            "ResponseContentType": served.content_type,
            "ResponseContentDisposition": content_disposition_header(attachment, filename),
        },
        expire=PRESIGNED_SECONDS,
    )
    return HttpResponseRedirect(url)
