# Claimline API image: the same lock file and entry point as the README's run command.
# The tag pins the Python release and the Debian suite. Not a digest: none could be read
# where this was written (no registry reachable); pin one where a registry is.
FROM python:3.11.15-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 claimline
WORKDIR /srv/claimline

# The build tools (pip, setuptools) and the dependencies, each from a lock with hashes.
COPY requirements-build.lock requirements.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r requirements-build.lock \
    && /opt/venv/bin/pip install --require-hashes -r requirements.lock

# A plain install: the wheel carries the migrations and seeds (pyproject.toml). Built with
# the locked setuptools, not whatever an isolated build environment would download.
COPY pyproject.toml README.md ./
COPY app ./app
COPY bench ./bench
COPY migrations ./migrations
COPY seeds ./seeds
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation . \
    && mkdir -p data && chown claimline:claimline data

# Everything above is root's: the server's user reads the application and the virtualenv
# and can write only the data volume (tests/test_container.py checks both).
USER claimline
# PORT: where serve listens and the health check looks (`-e PORT=...`); platforms that
# assign a port (Cloud Run, Heroku) set this variable.
ENV PATH=/opt/venv/bin:$PATH \
    PORT=8000 \
    DATABASE_URL=sqlite:////srv/claimline/data/claimline.db
# The SQLite database outlives the container. Declared after the chown: a new volume
# starts with the folder's owner.
VOLUME /srv/claimline/data
EXPOSE $PORT
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/readyz', timeout=2)"
# A shell to read $PORT; exec so that serve is PID 1 and gets the stop signal.
CMD ["/bin/sh", "-c", "exec claimline serve --host 0.0.0.0 --port \"$PORT\""]
