# Herald in a container: every `herald` command, with `herald serve` as the default.
#
#   docker build -t herald .
#   docker run --rm -p 127.0.0.1:8080:8080 -v "$PWD/mysite:/site" herald            # herald serve
#   docker run --rm --no-healthcheck -v "$PWD/mysite:/site" herald run              # any other command
#
# The site folder (the one holding herald.yml) is mounted at /site, which is also the working folder, so
# `--site` can be left out. Herald writes into it (public/, .herald/, outbox/) as the `node` user (uid 1000).
# docker-compose.yml and docs/deployment.md show the whole set-up (Redis, a worker, mailpit).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: the compiled JavaScript (dist/), so that start-up is Node's alone.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches/ ./patches/
COPY scripts/build.mjs scripts/bundle.mjs ./scripts/
COPY tsconfig.json tsconfig.build.json worker.ts ./
COPY src/ ./src/
# `prepare` compiles into dist/ during `npm ci`.
RUN npm ci --no-audit --no-fund

# ---- deps: production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `postinstall: patch-package` patches rst-compiler during `npm ci`, so the patches must be there first.
COPY patches/ ./patches/
COPY scripts/build.mjs ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund

# ---- runtime
FROM ${NODE_IMAGE}
# tini is PID 1: it forwards SIGTERM/SIGINT to Herald (which finishes requests and sends in flight) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, read-only for the user Herald runs as.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin/ ./bin/
COPY templates/ ./templates/
COPY patches/ ./patches/
RUN chmod 0755 /app/bin/herald.js \
 && ln -s /app/bin/herald.js /usr/local/bin/herald \
 && mkdir -p /site \
 && chown node:node /site
USER node
WORKDIR /site
EXPOSE 8080
# For `herald serve` on its default port in this image (8080). Other commands: `--no-healthcheck`, or
# `healthcheck: {disable: true}` in compose.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "herald"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--site", "/site"]
