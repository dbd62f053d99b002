# syntax=docker/dockerfile:1
# Plivo MMS gateway: multi-stage image.
#   build:   full dependency tree, compile TypeScript, then drop devDependencies
#   runtime: dist/ + docs/ + production node_modules + package.json, as the non-root `node` user (uid 1000)
# Build: docker build -t mms-gateway .      Run: docker run -p 3000:3000 --env-file .env mms-gateway
# For reproducible builds, pin the base image by digest (node:20-bookworm-slim@sha256:…).

FROM node:20-bookworm-slim AS build
WORKDIR /app

# Dependencies first, so this layer is cached until package*.json changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund


FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Owned by root and not writable by the app user: the code is immutable at runtime
# (Kubernetes additionally mounts the root filesystem read-only).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The reference pages: Swagger UI's link of each route opens its page at /docs/pages/<file>.md
# when DOCS_ENABLED=true and no DOCS_BASE_URL is set (src/http/docs-pages.ts reads ../docs).
COPY docs ./docs

# The official node images ship a `node` user with uid/gid 1000.
USER node
EXPOSE 3000

# For plain `docker run`; Kubernetes ignores HEALTHCHECK and uses the probes in deploy/k8s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.SERVER_PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# Exec form: node is PID 1 and receives SIGTERM directly (main.ts handles it and drains).
CMD ["node", "dist/main.js"]
