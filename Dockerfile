# Embargo in a container: gunicorn as an unprivileged user, static files collected at build time.
# The compose.yaml beside it runs this image as the site and as the publication worker.
FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cms cms
COPY articles articles
# The dependencies only: the app itself runs from /app, where manage.py and the templates are.
RUN python -m venv /venv \
    && /venv/bin/pip install . \
    && /venv/bin/pip uninstall --yes embargo

FROM python:3.13-slim
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home embargo
COPY --from=build /venv /venv
WORKDIR /app
COPY manage.py gunicorn.conf.py ./
COPY deploy/healthcheck.py deploy/healthcheck.py
COPY cms cms
COPY articles articles
COPY templates templates
COPY static static
# collectstatic needs settings, not secrets: a key used for this one command and then thrown away.
# The app user owns var/ itself (SQLite, the default database, writes var/embargo.sqlite3 and its
# journal beside it) and the uploads under it, not the collected static files: not recursive.
RUN DJANGO_SECRET_KEY=build-time-only-never-used-to-sign-anything-$(date +%s%N) \
    python manage.py collectstatic --no-input --verbosity 0 \
    && mkdir -p var/private-assets \
    && chown embargo:embargo var var/private-assets
USER embargo
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
