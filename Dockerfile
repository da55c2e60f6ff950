# One Dockerfile for every package: build with `--build-arg PACKAGE=@repo/<name>` and
# `--target service` (services/*) or `--target client` (clients/*, runs the CLI).
ARG NODE_IMAGE=node:24-bookworm-slim

# Dependencies: from the lockfile alone, so this layer survives every source-only change.
FROM ${NODE_IMAGE} AS deps
ARG PNPM_VERSION=10.34.9
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}"
WORKDIR /repo
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

# Build only what PACKAGE needs, then a pruned production tree of it in /out.
FROM deps AS build
ARG PACKAGE
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm turbo run build --filter="${PACKAGE}..." --output-logs=errors-only \
 && pnpm --filter="${PACKAGE}" deploy --prod --legacy /out

# A service: its own tree only, as the unprivileged node user (uid 1000), healthy when its
# grpc.health.v1 Check says SERVING.
FROM ${NODE_IMAGE} AS service
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /out ./
USER node
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "node_modules/@repo/server-kit/dist/probe.js"]
ENTRYPOINT ["node", "dist/main.js"]

# A client: the package's CLI (`docker compose run --rm greeter-client hello Ada`).
FROM ${NODE_IMAGE} AS client
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
USER node
ENTRYPOINT ["node", "dist/cli.js"]
