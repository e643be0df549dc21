# Production image: gunicorn serves the web app; the same image runs the worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 duijie

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY devstack ./devstack
COPY accounts ./accounts
COPY catalog ./catalog
COPY procurement ./procurement
COPY matching ./matching
COPY notifications ./notifications
COPY deals ./deals
RUN pip install .
COPY . .

# collectstatic needs settings but no database: give it throwaway values.
RUN DJANGO_SECRET_KEY=build DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build/build \
    REDIS_URL=redis://build python manage.py collectstatic --no-input

USER duijie
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
