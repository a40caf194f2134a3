from django.urls import path

from articles import feed_guide
from articles.web import discovery, feeds, health, search, views

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<str:slug>/", views.article_detail, name="article"),
    path("articles/<str:slug>/draft/", views.article_draft, name="article-draft"),
    path("preview/<str:token>/", views.preview, name="preview"),
    path(
        "preview/<str:preview_token>/assets/<str:token>/<str:name>",
        views.preview_asset,
        name="preview-asset",
    ),
    path(
        "preview/<str:preview_token>/assets/<str:token>/<str:variant>/<str:name>",
        views.preview_asset_rendition,
        name="preview-asset-rendition",
    ),
    path("assets/<str:token>/<str:name>", views.asset_download, name="asset"),
    path(
        "assets/<str:token>/<str:variant>/<str:name>",
        views.asset_rendition,
        name="asset-rendition",
    ),
    path("tags/", discovery.tag_index, name="tag-index"),
    path("tags/<str:slug>/", discovery.tag_detail, name="tag"),
    path("search/", search.search, name="search"),
    path("feeds/", feed_guide.feed_guide, name="feeds"),
    path("feeds/rss/", feeds.LatestArticlesFeed(), name="feed-rss"),
    path("feeds/atom/", feeds.LatestArticlesAtomFeed(), name="feed-atom"),
    path("sitemap.xml", discovery.sitemap_index, name="sitemap"),
    path("sitemap-<str:section>.xml", discovery.sitemap_section, name="sitemap-section"),
    path("robots.txt", discovery.robots_txt, name="robots"),
    path("account/", views.account, name="account"),
    path("healthz", health.healthz, name="healthz"),
]
