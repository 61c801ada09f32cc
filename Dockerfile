# syntax=docker/dockerfile:1
# Crit's image: the installed wheel in /opt/venv, run by gunicorn as a non-root user. The build
# stages hold the source, the build and pip's work; the final image carries none of them.

# The runtime dependencies named in pyproject.toml, one a line: the next stage's cache key, so
# a pyproject.toml change that leaves them alone (a linter setting) reinstalls nothing.
FROM python:3.12-slim-bookworm AS requirements
WORKDIR /src
COPY pyproject.toml .
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
      > requirements.txt

# The dependencies alone, in their own layer: a code change does not reinstall them.
FROM python:3.12-slim-bookworm AS dependencies
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv --without-pip /opt/venv
COPY --from=requirements /src/requirements.txt /tmp/requirements.txt
RUN pip --python /opt/venv/bin/python install -r /tmp/requirements.txt

# Crit's wheel, with its templates, static files, checklists and demo content.
FROM python:3.12-slim-bookworm AS wheel
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.12-slim-bookworm
# Pango, HarfBuzz and fonts for WeasyPrint's PDF exports; Chromium draws Mermaid diagrams
# (with DejaVu Sans, the font the PDFs use too).
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
      fonts-liberation2 chromium \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home crit
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH STATIC_ROOT=/opt/crit/static MEDIA_ROOT=/app/var/media
# An installed Crit keeps var/ (media; SQLite if DATABASE_URL is unset) in its working directory.
WORKDIR /app
COPY --from=dependencies /opt/venv /opt/venv
COPY --from=wheel /dist /tmp/dist
RUN pip --python /opt/venv/bin/python install --no-cache-dir --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=build crit-manage collectstatic --noinput \
    && mkdir -p /app/var/media /run/crit-metrics && chown -R crit /app/var /run/crit-metrics
USER crit
EXPOSE 8000
# /healthz answers 200 while the database answers. The probe names the first allowed host and
# says it came through HTTPS, so neither the host check nor the HTTPS redirect turns it away.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as r; host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.*') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': host, 'X-Forwarded-Proto': 'https'}), timeout=4)"]
CMD ["gunicorn", "-c", "python:config.gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--access-logfile", "-"]
