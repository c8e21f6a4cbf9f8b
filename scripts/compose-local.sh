#!/usr/bin/env bash
# compose.yaml on a machine that reaches no container registry, every
# process on the host's loopback (deploy/compose.local.yaml explains):
#
#   scripts/docker-smoke.sh --prepare     # once: docker.io, dockerd, base image, wheels
#   SECRET_KEY=... scripts/compose-local.sh up       # the stack on http://127.0.0.1:18580/
#   scripts/compose-local.sh down -v                 # (SECRET_KEY set, any value)
#
# Any docker-compose arguments work (build, up -d, ps, logs migrate, ...).
# compose.yaml publishes nginx's port, which host networking refuses
# ("incompatible with port_bindings") and an override file cannot remove:
# so the two files are merged (`config`), the published ports dropped from
# the host-networked services, and compose runs the result.
set -euo pipefail
cd "$(dirname "$0")/.."
export BASE=${BASE:-rd-base:bookworm}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-rdlocal}
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    compose=(docker-compose)
fi
merged=$(mktemp /tmp/rd-compose-local.XXXXXX)  # 0600: it holds SECRET_KEY
trap 'rm -f "$merged"' EXIT
"${compose[@]}" -f compose.yaml -f deploy/compose.local.yaml config | python3 -c '
import sys, yaml
config = yaml.safe_load(sys.stdin)
for service in config["services"].values():
    if service.get("network_mode") == "host":
        service.pop("ports", None)
yaml.safe_dump(config, sys.stdout, sort_keys=False)
' >"$merged"
"${compose[@]}" --project-directory . -f "$merged" "$@"
