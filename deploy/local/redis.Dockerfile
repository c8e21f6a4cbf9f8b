# Redis from Debian's packages, for running compose.yaml where no registry
# is reachable (deploy/compose.local.yaml): redis-server and redis-cli on
# the PATH as in the official image; compose.yaml gives the command.
ARG BASE=rd-base:bookworm
FROM ${BASE}
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
USER redis
WORKDIR /var/lib/redis
CMD ["redis-server"]
