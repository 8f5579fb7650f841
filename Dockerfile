# talkback: build with `docker build -t talkback .`, then see the README's Docker section.

ARG RUST_VERSION=1.95

# ---- build ----------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The demo's config and posts are compiled into the binary (include_str!).
COPY bot-config ./bot-config
RUN cargo build --release --locked \
 && cp target/release/talkback /usr/local/bin/talkback

# ---- runtime --------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 talkback \
 && useradd --uid 10001 --gid talkback --home-dir /app --no-create-home \
            --shell /usr/sbin/nologin talkback

COPY --from=build /usr/local/bin/talkback /usr/local/bin/talkback

WORKDIR /app
# The starter config as a default; mount your own over /app/bot-config.
COPY bot-config /app/bot-config
# The store lives here (`[store] path = "/app/data"`); it must be writable by talkback.
RUN mkdir -p /app/data && chown talkback:talkback /app/data

ENV TALKBACK_CONFIG=/app/bot-config
VOLUME ["/app/bot-config", "/app/data"]
USER talkback

ENTRYPOINT ["talkback"]
CMD ["run"]
