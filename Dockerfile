# One image for every service; compose's `command` picks the service and the process
# (gunicorn web server, `python -m <pkg>.worker`, or `python -m servicekit.migrate <pkg>`).
# Debian slim, not Alpine: confluent-kafka and psycopg ship glibc wheels only.
#
# Behind a TLS-inspecting proxy, pip needs that proxy's CA: put a CA bundle at
# var/build-ca/ca-certificates.crt (git-ignored; e.g. a copy of the host's
# /etc/ssl/certs/ca-certificates.crt). Only the `deps` stage reads it, so it never
# reaches the published image or its history. Without the file the build uses certifi.
FROM python:3.11-slim-bookworm AS deps

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# requirements.txt is the services' lock (every file hash-checked); the launcher's and the
# tests' packages are in requirements-dev.txt, never here.
# The var/build-ca* pattern may match nothing: the CA bundle is an optional input.
COPY requirements.txt var/build-ca* /tmp/build/
RUN if [ -f /tmp/build/ca-certificates.crt ]; then \
        export PIP_CERT=/tmp/build/ca-certificates.crt; fi \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-virtualenv --require-hashes \
        -r /tmp/build/requirements.txt

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PROMETHEUS_MULTIPROC_DIR=/run/metrics

WORKDIR /app

COPY --from=deps /opt/venv /opt/venv
# /run/metrics is in the image, writable by the app user even as a tmpfs: a tmpfs mounted
# there takes the mode of the directory below it (a root-owned 0755 one Docker creates on a
# restart when the image has none), and Swarm's tmpfs cannot name an owner, so the mode is
# /tmp's (compose's tmpfs names uid, gid and 0700 on top).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 10001 -m 1777 /run/metrics

# .dockerignore lets in servicekit/ and the *_service/ packages only.
COPY --chown=root:root servicekit /app/servicekit
COPY --chown=root:root auth_service /app/auth_service
COPY --chown=root:root user_service /app/user_service
COPY --chown=root:root watchlist_service /app/watchlist_service
COPY --chown=root:root friends_service /app/friends_service
COPY --chown=root:root friendswatchlist_service /app/friendswatchlist_service
COPY --chown=root:root mediastatistics_service /app/mediastatistics_service
COPY --chown=root:root activity_service /app/activity_service

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2)"]

CMD ["gunicorn", "-c", "servicekit/gunicorn_conf.py", "--bind", "0.0.0.0:8000", "user_service.wsgi:app"]
