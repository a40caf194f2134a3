"""The API's answers as the OpenAPI document describes them; the views build the JSON themselves
(``views.article_data``), so these name fields and types only."""

from datetime import datetime

from ninja import Schema


class AssetOut(Schema):
    name: str
    content_type: str
    size: int
    url: str


class ArticleOut(Schema):
    slug: str
    url: str
    title: str
    summary: str
    body_html: str
    body_markdown: str
    tags: list[str]
    published_at: datetime | None
    assets: list[AssetOut]
    featured_image: AssetOut | None = None
    is_public: bool


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None


class TagOut(Schema):
    name: str
    slug: str


class TagPage(Schema):
    items: list[TagOut]


class ErrorOut(Schema):
    detail: str
