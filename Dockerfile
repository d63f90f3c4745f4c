# Claimline API image: the same lock file and entry point as the README's run command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 claimline
WORKDIR /srv/claimline

COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r requirements.lock

# A plain install: the wheel carries the migrations and seeds (pyproject.toml).
COPY pyproject.toml README.md ./
COPY app ./app
COPY bench ./bench
COPY migrations ./migrations
COPY seeds ./seeds
RUN /opt/venv/bin/pip install --no-deps . \
    && mkdir -p data && chown claimline:claimline data

USER claimline
ENV PATH=/opt/venv/bin:$PATH \
    DATABASE_URL=sqlite:////srv/claimline/data/claimline.db
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz')"
CMD ["claimline", "serve", "--host", "0.0.0.0", "--port", "8000"]
