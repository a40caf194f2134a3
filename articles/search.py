"""Site search over the live revisions of published articles only."""

from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles.caching import mark_public
from articles.views import paginate, public_listing

MAX_QUERY_LENGTH = 200


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()
    context = {"query": query, "page_obj": None, "message": None}
    if not query:
        context["message"] = "Type a word or phrase to search published articles."
    elif len(query) > MAX_QUERY_LENGTH:
        context["message"] = f"Search for at most {MAX_QUERY_LENGTH} characters."
    else:
        matches = public_listing().filter(
            Q(live_revision__title__icontains=query)
            | Q(live_revision__summary__icontains=query)
            | Q(live_revision__body__icontains=query)
        )
        context["page_obj"] = paginate(request, matches)
    return mark_public(request, render(request, "articles/search.html", context))
