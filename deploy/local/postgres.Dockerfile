# PostgreSQL 15 from Debian's packages, for running compose.yaml where no
# registry is reachable (deploy/compose.local.yaml). Behaves like the
# official postgres image as compose.yaml uses it: POSTGRES_DB, _USER and
# _PASSWORD make the database on first start, data in
# /var/lib/postgresql/data (the named volume), pg_isready for the health
# check. PGPORT picks the port (the server and pg_isready both read it).
ARG BASE=rd-base:bookworm
FROM ${BASE}
# policy-rc.d: the package's scripts start no server during the build.
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
    && pg_dropcluster 15 main \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data \
    && install -d -o postgres -g postgres -m 2775 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
USER postgres
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
