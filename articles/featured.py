"""An article's featured image: one of a revision's own image assets, carried by the revision.

Readers see the live revision's choice, and only the live revision's assets are public, so a new
choice (or a new image) becomes public exactly when the revision carrying it is published.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from articles.models import Asset

# ``article_update(featured_image=KEEP)``: carry the working draft's choice forward.
KEEP = object()


def choose(chosen: Asset | None, assets: Iterable[Asset], *, explicit: bool) -> Asset | None:
    """``chosen`` as it stands among a new revision's ``assets``, or a ValidationError.

    A file replaced by a newer upload of the same name passes the choice on to the newer one. A
    choice carried forward from an earlier revision quietly lapses when its file is dropped; one
    made for this save must be among the files and an image.
    """
    if chosen is None:
        return None
    assets = list(assets)
    match = next((a for a in assets if a.pk == chosen.pk), None) or next(
        (a for a in assets if a.original_name == chosen.original_name), None
    )
    if match is None:
        if not explicit:
            return None
        raise ValidationError(
            {"featured_image": f"“{chosen.original_name}” is not among this draft's files."}
        )
    if not match.is_image:
        if not explicit:
            return None
        raise ValidationError({"featured_image": f"“{match.original_name}” is not an image."})
    return match


def named(name: str | None, assets: Iterable[Asset]) -> Asset | None:
    """The asset among ``assets`` uploaded as ``name`` (None for no name), or a ValidationError."""
    if name is None:
        return None
    found = next((a for a in assets if a.original_name == name), None)
    if found is None:
        raise ValidationError({"featured_image": f"“{name}” is not among the uploaded files."})
    return found
