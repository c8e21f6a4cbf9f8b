#!/bin/sh
# compose.yaml's nginx.conf names the upstreams by service (web1:8000,
# web2:8000, live1:8002, live2:8002, gateway:8001) and listens on 8080; under
# host networking every process has its own loopback port instead: WEB1,
# WEB2, LIVE1, LIVE2, GATEWAY (host:port) and LISTEN (address:port).
set -eu
sed -e "s/server web1:8000/server $WEB1/" -e "s/server web2:8000/server $WEB2/" \
    -e "s/server live1:8002/server $LIVE1/" -e "s/server live2:8002/server $LIVE2/" \
    -e "s/server gateway:8001/server $GATEWAY/" -e "s/listen 8080;/listen $LISTEN;/" \
    /etc/nginx/nginx.conf >/tmp/nginx.conf
grep -q "listen $LISTEN;" /tmp/nginx.conf || { echo "nginx.conf: no 'listen 8080;' to rewrite" >&2; exit 1; }
exec nginx -c /tmp/nginx.conf -g "daemon off; user www-data; pid /tmp/nginx.pid;"
