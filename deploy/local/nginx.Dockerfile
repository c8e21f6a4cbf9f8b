# nginx from Debian's packages (nginx-light), for running compose.yaml where
# no registry is reachable (deploy/compose.local.yaml). It runs compose's
# own deploy/nginx/nginx.conf (mounted at /etc/nginx/nginx.conf), with the
# upstream addresses and the port rewritten for host networking
# (nginx-entrypoint.sh); curl for the health check, as in the official image.
ARG BASE=rd-base:bookworm
FROM ${BASE}
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light curl \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && install -d -o www-data /var/cache/nginx \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx-entrypoint.sh /usr/local/bin/nginx-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/nginx-entrypoint.sh"]
