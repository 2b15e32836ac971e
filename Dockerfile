# canary-engine: the production image runs compiled JavaScript (dist/, from tsconfig.build.json)
# with production dependencies only and no sandbox code; `docker build .` builds it (the last stage).
# The `sandbox` target adds the sandbox, the local stack and tsx for docker-compose's quickstart.
# Dependencies are installed like scripts/lib/deps.mjs does (`npm install --no-save`, the lockfile's
# versions), not with `npm ci`, which refuses this lockfile (see deps.mjs for why).
# test/unit/compose.test.ts checks these stages against the build and the entry points' imports.

# compiles the engine: dev dependencies (TypeScript) and the sources tsconfig.build.json includes
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core ./core
COPY client ./client
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY cli/lib ./cli/lib
COPY scripts/ui-build.mjs ./scripts/ui-build.mjs
COPY scripts/lib/paths.mjs ./scripts/lib/paths.mjs
COPY observability ./observability
RUN npm run build

# the local sandbox and stack (tsx, sources) and a build that includes sandbox/, so that a worker in
# sandbox mode (CANARY_MODE=sandbox) finds the sandbox's providers next to its own compiled code
FROM build AS sandbox
COPY tsconfig.sandbox.json ./
COPY sandbox ./sandbox
COPY stack ./stack
COPY scripts ./scripts
RUN npm run build:sandbox
CMD ["node", "--import", "tsx", "sandbox/main.ts"]

# production dependencies only: no TypeScript, no test tools
FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-save --no-audit --no-fund
# Temporal's native core ships prebuilt for five platforms (~28 MB each); keep this one's only
RUN find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 \
      ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# The API's liveness endpoint; the worker service overrides this in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]
