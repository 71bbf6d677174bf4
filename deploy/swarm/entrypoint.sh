#!/bin/sh
# Entrypoint of the app image (and of the Consul one-shot) on Docker Swarm, given to each
# task as a Swarm config. Swarm has no depends_on and hands secrets over as files, so:
#  1. every /run/secrets/<NAME> whose NAME is an environment variable name becomes $NAME
#     (the services read settings from the environment only);
#  2. WLT_WAIT_FOR="host:port ..." is awaited (TCP), and the word `consul-token` waits until
#     Consul accepts this task's CONSUL_HTTP_TOKEN (consul-acl-init has created it);
#  3. WLT_MIGRATE=<package> upgrades that service's schema first (an advisory lock makes
#     concurrent replicas take turns; at head it is a no-op);
# then runs the command. A dependency that never comes fails the task after
# WLT_WAIT_TIMEOUT_S (default 300), and Swarm's restart policy starts a new one.
set -eu

for file in /run/secrets/*; do
    [ -f "$file" ] || continue
    name="$(basename "$file")"
    case "$name" in
        *[!A-Z0-9_]* | [0-9]*) continue ;;
    esac
    export "$name=$(cat "$file")"
done

if [ -n "${WLT_WAIT_FOR:-}" ]; then
    python - "$WLT_WAIT_FOR" <<'PY'
import os, socket, sys, time, urllib.request

deadline = time.monotonic() + float(os.environ.get("WLT_WAIT_TIMEOUT_S", "300"))
for target in sys.argv[1].split():
    while True:
        try:
            if target == "consul-token":
                request = urllib.request.Request(
                    os.environ["CONSUL_HTTP_ADDR"].rstrip("/") + "/v1/acl/token/self",
                    headers={"X-Consul-Token": os.environ["CONSUL_HTTP_TOKEN"]},
                )
                urllib.request.urlopen(request, timeout=2).close()
            else:
                host, port = target.rsplit(":", 1)
                socket.create_connection((host, int(port)), timeout=2).close()
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                sys.exit(f"entrypoint: {target} did not come up: {exc}")
            time.sleep(1)
    print(f"entrypoint: {target} is up", flush=True)
PY
fi

if [ -n "${WLT_MIGRATE:-}" ]; then
    python -m servicekit.migrate "$WLT_MIGRATE"
fi

exec "$@"
