# One Dockerfile for every package: build with `--build-arg PACKAGE=@repo/<name>` and
# `--target service` (services/*) or `--target client` (clients/*, runs the CLI).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
ARG PNPM_VERSION=10.34.9
ARG TURBO_VERSION=2.11.11
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}" "turbo@${TURBO_VERSION}"
ENV TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1
WORKDIR /repo

# Every package the lockfile names, downloaded once: this layer changes with the lockfile only.
FROM base AS store
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

# PACKAGE and the workspace packages it depends on, nothing else: their manifests (out/json)
# and their sources (out/full).
FROM base AS prune
ARG PACKAGE
COPY . .
RUN turbo prune "${PACKAGE}" --docker

# Install from the manifests (cached until a package.json or the lockfile changes), then build
# from the sources, then a pruned production tree of PACKAGE in /out.
FROM store AS build
ARG PACKAGE
COPY --from=prune /repo/out/json/ ./
RUN pnpm install --offline --frozen-lockfile
COPY --from=prune /repo/out/full/ ./
RUN turbo run build --filter="${PACKAGE}" --output-logs=errors-only \
 && pnpm --filter="${PACKAGE}" deploy --prod --legacy /out

# A service: its own tree only, as the unprivileged node user (uid 1000), healthy when its
# grpc.health.v1 Check says SERVING.
FROM ${NODE_IMAGE} AS service
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /out ./
# Node's compile cache (packages/server-kit/src/compile-cache.ts), written by one start of the
# service here, as the user it runs as (the cache is per user): every container starts from it
# (~10 % of start-up), read-only filesystem or not.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN install --directory --owner=node --group=node "$NODE_COMPILE_CACHE"
USER node
RUN PORT=0 HEALTH_PORT=0 METRICS_PORT=0 timeout --signal=TERM 3 node dist/main.js > /dev/null; \
    test -n "$(find "$NODE_COMPILE_CACHE" -type f)"
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node_modules/.bin/grpc-health-probe"]
ENTRYPOINT ["node", "dist/main.js"]

# A client: the package's CLI (`docker compose run --rm greeter-client hello Ada`).
FROM ${NODE_IMAGE} AS client
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
USER node
ENTRYPOINT ["node", "dist/cli.js"]
