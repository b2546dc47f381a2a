#!/bin/bash
# Starts the nginx/nchan peer in the foreground on 127.0.0.1:PORT.
#
#   bench/peers/nchan/run.sh PORT WORKDIR [REDIS_PORT]
#
# With REDIS_PORT, the channels are kept in the redis-server on
# 127.0.0.1:REDIS_PORT (nginx-redis.conf.in): every nginx started so with
# the same Redis shares them.
#
# WORKDIR (created if missing) receives nginx.conf, nginx.pid, error.log and
# the temp directories. nginx prints no "listening on" line: wait until an
# HTTP request gets an answer (other paths answer 404; the master may accept
# before its worker runs). The script execs nginx, so its PID is the nginx
# master's; the one worker that serves is that master's child.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 PORT WORKDIR [REDIS_PORT]" >&2
    exit 2
fi
port=$1
template=nginx.conf.in
redis_port=
if [ $# -eq 3 ]; then
    template=nginx-redis.conf.in
    redis_port=$3
fi
mkdir -p "$2"
workdir=$(cd "$2" && pwd)
nofile=$(ulimit -Hn)
if [ "$nofile" = unlimited ]; then
    nofile=1048576
fi

sed -e "s|@PORT@|$port|g" -e "s|@PREFIX@|$workdir|g" -e "s|@NOFILE@|$nofile|g" \
    -e "s|@REDIS_PORT@|$redis_port|g" "$(dirname "$0")/$template" > "$workdir/nginx.conf"

exec nginx -p "$workdir/" -c "$workdir/nginx.conf" -e "$workdir/error.log"
