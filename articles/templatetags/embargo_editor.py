"""Template helpers for the editors' change form."""

from django import template

from articles.admin.editor import markdown_reference

register = template.Library()
register.filter("markdown_reference", markdown_reference)
