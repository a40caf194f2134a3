"""The editors' doors: the admin site, its forms, the article admin and its pages, the audit log.

Admin autodiscovery imports this package; importing the modules below registers their ModelAdmins
(people after django.contrib.auth's admin, so its User and Group pages are replaced).

The site itself (``articles.admin_site``) stays outside this package: Django resolves the default
site while autodiscovery is importing this package, and a site defined here would be built twice
(the registrations made while importing would land on the discarded one).
"""

from articles.admin import articles, audit, exposure, people  # noqa: F401
from articles.api import admin as api_admin  # noqa: F401
