# sshmon image: the Python package plus the dashboard's vendored front-end assets.
# Build: docker build -t sshmon .   (compose.yaml does this for you)

# --- web assets: pinned npm packages copied into web/static/vendor by web/build.mjs ---
FROM node:22-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- runtime ---
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SSHMON_DATA_DIR=/var/lib/sshmon
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY sshmon/ sshmon/
COPY demo/ demo/
COPY poller/ poller/
COPY parsers/ parsers/
COPY store/ store/
COPY alerts/ alerts/
COPY api/ api/
COPY web/ web/
COPY --from=web /src/web/static/vendor/ web/static/vendor/
RUN pip install -c requirements.lock . \
    && useradd --system --create-home --home-dir /var/lib/sshmon sshmon \
    && rm -rf /src
USER sshmon
WORKDIR /var/lib/sshmon
# The spool (batches kept while ClickHouse is away) lives here; mount a volume to keep it.
VOLUME ["/var/lib/sshmon"]
EXPOSE 8080
ENTRYPOINT ["sshmon"]
CMD ["run", "--inventory", "/etc/sshmon/inventory.yaml", "--listen", "0.0.0.0:8080"]
