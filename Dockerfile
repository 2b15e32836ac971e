# canary-engine: one image for the worker, the API and the sandbox (the command picks which).
# Multi-stage: dependencies are installed in a build stage; the runtime stage runs as non-root.
# Dependencies are installed like scripts/lib/deps.mjs does (`npm install --no-save`, the lockfile's
# versions), not with `npm ci`, which refuses this lockfile (see deps.mjs for why).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-save --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
# what api/main.ts, worker/main.ts (with the workflows it bundles) and sandbox/main.ts import
COPY core ./core
COPY client ./client
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY sandbox ./sandbox
COPY scripts/lib ./scripts/lib
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# The API's liveness endpoint; the worker service overrides this in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "api/main.ts"]
