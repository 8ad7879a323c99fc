# The monitor service image: `monitor run` by default; `monitor worker`, `monitor db upgrade` with other args.
# Config: MONITOR_CONFIG (a YAML file, mount it) and MONITOR_DATABASE_URL (overrides database_url; a secret).
# `monitor run` (PID 1) serves the status API from a child process it supervises and stops on SIGTERM.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir monitor && touch monitor/__init__.py \
    && pip wheel --wheel-dir /wheels . \
    && rm /wheels/monitor-*.whl
COPY monitor ./monitor
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /venv \
    && /venv/bin/pip install --no-index --find-links /wheels /wheels/*.whl

FROM python:3.11-slim
# MONITOR_DATABASE_URL wins over the file's database_url: SQLite on the /data volume unless it is set otherwise.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH \
    MONITOR_CONFIG=/app/config/monitor.yaml \
    MONITOR_DATABASE_URL=sqlite:////data/monitor.db
RUN groupadd --gid 10001 monitor \
    && useradd --create-home --uid 10001 --gid 10001 monitor \
    && mkdir /data && chown 10001:10001 /data
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=monitor:monitor config ./config
COPY --chown=monitor:monitor contracts ./contracts
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
# The slim image has no curl: the interpreter asks the status API (api.port, 8080 by default) for /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["monitor"]
CMD ["run"]
