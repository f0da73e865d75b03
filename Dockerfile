# The Guichet image: web (gunicorn), Celery worker and beat. See docker-compose.yml.
FROM python:3.11-slim

# PYTHONPATH: the code in /app, not the copy pip puts in site-packages, is what
# runs, so that the settings find templates/, static/ and locale/ beside it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    PYTHONPATH=/app

WORKDIR /app

RUN groupadd --system --gid 10001 guichet \
    && useradd --system --uid 10001 --gid guichet --home-dir /app --no-create-home guichet

# Dependencies first, in their own cached layer: with only pyproject.toml the
# project has no package of its own to install, just what it depends on.
COPY pyproject.toml README.md ./
RUN pip install .

# Then the project itself. Static files are collected at build time, so that a
# missing file fails the build rather than the deployment.
COPY . .
RUN pip install --no-deps . \
    && DEBUG=true python manage.py collectstatic --noinput \
    && chown -R guichet:guichet /app/staticfiles

USER guichet
EXPOSE 8000
# config/gunicorn.py: the access log (on stdout) masks the tokens in links' URLs.
CMD ["gunicorn", "config.wsgi:application", "--config=config/gunicorn.py", "--bind=0.0.0.0:8000"]
