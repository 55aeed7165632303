# syntax=docker/dockerfile:1
# data-engineer-bot: build with `docker build -t data-engineer-bot .`, run as README "Operations" says.

# ---- build: compiles better-sqlite3 (native) and the TypeScript, then drops the dev dependencies ----
FROM node:20-bookworm-slim AS build
# Only this stage has a compiler: better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# What `npm start` runs first (its prestart): tsc -p tsconfig.build.json → dist/.
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force

# ---- runtime: no compiler, no sources, no dev dependencies, not root ----
FROM node:20-bookworm-slim AS runtime
# tini as PID 1: forwards SIGTERM to node and reaps the sandbox's child processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# A fixed, unprivileged UID/GID, so a mounted /data can be chowned to it ahead of time (chown 10001:10001).
RUN groupadd --gid 10001 deb \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin deb \
 && mkdir -p /data \
 && chown 10001:10001 /data
WORKDIR /app
ENV NODE_ENV=production \
    DATABASE_PATH=/data/data-engineer.db \
    PORT=3000 \
    HOST=0.0.0.0
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# Applied at every start (src/store/db.ts reads ../../migrations from dist/store/).
COPY --chown=root:root migrations ./migrations
# The SQLite file (and its -wal/-shm) live here; mount a volume so they outlive the container.
VOLUME ["/data"]
USER 10001:10001
# Slack's requests (HTTP mode) and GET /healthz. The metrics listener (METRICS_PORT) is not exposed by default.
EXPOSE 3000
# 200 once the database is migrated and Slack accepted the token; 503 while starting or draining.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM: the bot stops taking work and lets answers finish for up to 30 s (src/main.ts, app.stop), so
# give it longer than Docker's default 10 s: `docker stop -t 45` (compose: stop_grace_period: 45s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
# node directly, not `npm start` (whose prestart would compile again, and which would not pass signals on).
CMD ["node", "dist/main.js"]
