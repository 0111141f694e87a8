# lucia-harness: `serve` (the default command) or any other command.
#
#   docker build -t lucia-harness .
#   docker run --rm -p 9464:9464 -e LUCIA_HARNESS_READ_TOKEN=… -e LUCIA_HARNESS_STATE_URL=postgres://… \
#     -e LUCIA_DEV_OPERATOR_TOKEN=… lucia-harness
#
# The features, environments.toml and snapshots are copied in: what a
# deployment checks is the reviewed commit it was built from, the same on
# every replica, and a baseline approval is a commit, never an edit on a
# running machine. Mount over /app/features (or pass --features) to try
# others. The state belongs in Postgres (LUCIA_HARNESS_STATE_URL): the
# image's filesystem is thrown away with the container.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin lucia-harness \
    && strip target/release/lucia-harness

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lucia
WORKDIR /app
COPY --from=build /src/target/release/lucia-harness /usr/local/bin/lucia-harness
COPY --chown=lucia:lucia environments.toml ./
COPY --chown=lucia:lucia features ./features
COPY --chown=lucia:lucia snapshots ./snapshots
USER 10001
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["lucia-harness"]
CMD ["serve", "--addr", "0.0.0.0:9464", "--allow-remote"]
