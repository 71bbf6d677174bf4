#!/bin/sh
# As the official image's entrypoint: flags alone, or a traefik subcommand, run traefik.
set -e
if [ "${1#-}" != "$1" ]; then
    set -- traefik "$@"
elif [ "$1" != traefik ] && traefik "$1" --help >/dev/null 2>&1; then
    set -- traefik "$@"
fi
exec "$@"
