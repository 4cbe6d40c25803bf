# syntax=docker/dockerfile:1
# ClaimBot image: one `claimbot` worker per container.
#
#   docker build -t claimbot .
#   docker run --rm -v claimbot-data:/data claimbot ask "did a NYC cop arrest an ICE agent"
#   docker run -d -v claimbot-data:/data -e TELEGRAM_BOT_TOKEN=... claimbot            # serve telegram
#   docker run -d -v claimbot-data:/data -p 8080:8080 claimbot serve web --port 8080   # the web console
#   docker compose up -d                                  # PostgreSQL + Telegram + Discord workers + console
#
# Without CLAIMBOT_DATABASE_URL the bot keeps a SQLite database on the /data volume; for several
# workers point it at PostgreSQL (see compose.yaml).

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: resolve and install the package and its dependencies into a self-contained venv ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Same path in both stages: a venv's scripts carry its absolute path in their shebang lines.
RUN python -m venv /opt/claimbot
# pdqhash (the media extra) is built from source.
RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# pyproject.toml names README.md as the long description; the three packages are all it ships.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY store ./store
# Extras: photos and videos by default; e.g. --build-arg CLAIMBOT_EXTRAS=[media,test].
ARG CLAIMBOT_EXTRAS=[media]
RUN /opt/claimbot/bin/pip install ".${CLAIMBOT_EXTRAS}" \
    && /opt/claimbot/bin/claimbot --help > /dev/null

# --- final: the venv on a clean base image; no compilers, no pip cache, no sources ---------------
FROM ${PYTHON_IMAGE}
# Tesseract reads the text in forwarded screenshots (bot/media/ocr.py).
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 claimbot \
    && useradd --system --uid 10001 --gid claimbot --home-dir /home/claimbot --create-home \
        --shell /usr/sbin/nologin claimbot \
    && mkdir -p /data /index \
    && chown claimbot:claimbot /data /index
COPY --from=builder /opt/claimbot /opt/claimbot
ENV PATH=/opt/claimbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_DATA_HOME=/data \
    CLAIMBOT_DATABASE_URL=sqlite:////data/claimbot.db
WORKDIR /home/claimbot
USER claimbot
# /data holds the SQLite database and its match index files (claimbot.db.index/); compose.yaml mounts a
# shared volume on /index for the PostgreSQL workers' index files (CLAIMBOT_INDEX_DIR).
VOLUME ["/data"]
# Telegram webhook (`serve telegram --webhook-url ... --listen 0.0.0.0 --port 8443`), and the
# moderators' web console (`serve web --port 8080`; its templates and stylesheet ship in the package).
EXPOSE 8443 8080
# Exits 0 when the database answers (it also applies pending migrations); a new Python process each
# time, about a second of CPU, hence the 30 s interval.
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
    CMD ["claimbot", "healthcheck"]
ENTRYPOINT ["claimbot"]
CMD ["serve", "telegram"]
