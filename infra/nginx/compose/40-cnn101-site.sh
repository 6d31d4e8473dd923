#!/bin/sh
# docker-compose.yml's proxy: the image's entrypoint runs this before nginx starts. It writes
# the shipped site (infra/nginx/cnn101.conf, mounted read-only) with its two upstreams
# pointed at compose's services instead of 127.0.0.1, so one file serves both recipes.
set -eu
site=${CNN101_SITE_FILE:-/etc/cnn101/cnn101.conf}
out=${CNN101_SITE_OUT:-/etc/nginx/conf.d/default.conf}
gateway=${CNN101_PROXY_GATEWAY:?the gateway address, host:port}
study=${CNN101_PROXY_STUDY:?the study service address, host:port}

sed -e "s/server 127\.0\.0\.1:8000;/server ${gateway};/" \
    -e "s/server 127\.0\.0\.1:8001;/server ${study};/" "$site" > "$out.tmp"
# A site file whose upstream lines changed would otherwise start a proxy to nowhere.
for address in "$gateway" "$study"; do
    if ! grep -q "server ${address};" "$out.tmp"; then
        echo "40-cnn101-site.sh: no upstream line of $site became 'server ${address};'" >&2
        rm -f "$out.tmp"
        exit 1
    fi
done
mv "$out.tmp" "$out"
echo "40-cnn101-site.sh: $out proxies to $gateway and, for students' study requests, $study"
