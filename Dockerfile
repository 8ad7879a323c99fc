# Slim runtime image for the monitor service; runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 monitor
COPY --from=build /install /usr/local
WORKDIR /app
COPY --chown=monitor:monitor config ./config
COPY --chown=monitor:monitor contracts ./contracts
USER monitor
ENTRYPOINT ["monitor"]
CMD ["--help"]
