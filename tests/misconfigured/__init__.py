"""Settings modules that recreate the Mythos-class mistakes, for ``audit_exposure`` to catch.

Run one by hand against a scratch database, e.g.::

    DJANGO_SETTINGS_MODULE=tests.misconfigured.cache_middleware python manage.py audit_exposure
"""
