#!/bin/sh
# The official image's entrypoint, minus its interface-name lookups: `agent` gets the
# image's data and config directories, and Consul drops root for the consul user.
set -e
CONSUL_DATA_DIR=/consul/data
CONSUL_CONFIG_DIR=/consul/config

# Extra agent config as JSON, written where the agent reads its config (as upstream).
if [ -n "${CONSUL_LOCAL_CONFIG:-}" ]; then
    echo "$CONSUL_LOCAL_CONFIG" >"$CONSUL_CONFIG_DIR/local.json"
fi

if [ "${1#-}" != "$1" ]; then
    set -- consul "$@"
fi
if [ "$1" = agent ]; then
    shift
    set -- consul agent -data-dir="$CONSUL_DATA_DIR" -config-dir="$CONSUL_CONFIG_DIR" "$@"
elif [ "$1" = version ]; then
    set -- consul "$@"
elif [ "$1" != consul ] && consul --help "$1" 2>&1 | grep -q "consul $1"; then
    set -- consul "$@"
fi

if [ "$1" = consul ] && [ -z "${CONSUL_DISABLE_PERM_MGMT+x}" ] && [ "$(id -u)" = 0 ]; then
    if [ "$(stat -c %u "$CONSUL_DATA_DIR")" != "$(id -u consul)" ]; then
        chown consul:consul "$CONSUL_DATA_DIR"
    fi
    set -- setpriv --reuid=consul --regid=consul --init-groups "$@"
fi
exec "$@"
