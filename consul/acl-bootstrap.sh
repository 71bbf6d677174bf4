#!/bin/sh
# Creates Watchlist Tracker's Consul ACL policies and tokens; safe to run again.
#
# Consul runs with ACLs in default-deny mode (consul.hcl, devstack/consul.py). This script
# is the one place the grants are written, for `make run`, the tests and compose alike:
#   wlt-service-<name>  may register (write) only its own service name (auth also its
#                       forward-auth processes, auth-verify), and read the catalog to find its
#                       peers; one token per service. Exact names, never prefixes: "friends"
#                       must not cover "friendswatchlist".
#   wlt-catalog-read    read-only catalog: Traefik's token, and the anonymous token, so the
#                       operator UI and `curl /v1/health/state/passing` work without a token
# Nothing here can add a route: the gateway ignores routing tags (traefik/*, servicekit/consul.py).
#
# Environment:
#   CONSUL_HTTP_ADDR           the agent, e.g. http://127.0.0.1:8500
#   CONSUL_HTTP_TOKEN          the management (bootstrap) token: used here, given to no service
#   WLT_CONSUL_TOKEN_<NAME>    the SecretID (a UUID) to create for each of AUTH USER WATCHLIST
#                              FRIENDS FRIENDSWATCHLIST MEDIASTATISTICS TRAEFIK
# The agent's own token (its node's registration) is set in its config, not here: a token
# that exists only after the agent started would leave its first syncs failing.
set -eu

SERVICES="auth user watchlist friends friendswatchlist mediastatistics activity"
CATALOG_READ='service_prefix "" { policy = "read" }
node_prefix "" { policy = "read" }'

upper() { printf '%s' "$1" | tr 'a-z' 'A-Z'; }

token_for() {
    eval "value=\${WLT_CONSUL_TOKEN_$(upper "$1"):-}"
    printf '%s' "$value"
}

policy() { # name rules
    if consul acl policy read -name "$1" >/dev/null 2>&1; then
        consul acl policy update -name "$1" -rules "$2" >/dev/null
    else
        consul acl policy create -name "$1" -rules "$2" >/dev/null
    fi
}

token() { # secret policy description
    # A token that already exists with this secret is left as it is: its policy is linked by
    # name, so the policy update above already applies to it.
    if CONSUL_HTTP_TOKEN="$1" consul acl token read -self >/dev/null 2>&1; then
        return 0
    fi
    consul acl token create -secret "$1" -policy-name "$2" -description "$3" >/dev/null
}

# The agent may not have a leader yet when this starts.
tries=0
until consul acl policy list >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "acl-bootstrap: Consul at ${CONSUL_HTTP_ADDR:-default address} does not answer" >&2
        consul acl policy list >&2 || true
        exit 1
    fi
    sleep 0.5
done

policy wlt-catalog-read "$CATALOG_READ"

for name in $SERVICES; do
    secret=$(token_for "$name")
    if [ -z "$secret" ]; then
        echo "acl-bootstrap: WLT_CONSUL_TOKEN_$(upper "$name") is not set" >&2
        exit 1
    fi
    extra=""
    if [ "$name" = auth ]; then  # its forward-auth processes register as auth-verify
        extra='service "auth-verify" { policy = "write" }'
    fi
    policy "wlt-service-$name" "service \"$name\" { policy = \"write\" }
$extra
$CATALOG_READ"
    token "$secret" "wlt-service-$name" "$name service instances"
done

traefik=$(token_for traefik)
if [ -z "$traefik" ]; then
    echo "acl-bootstrap: WLT_CONSUL_TOKEN_TRAEFIK is not set" >&2
    exit 1
fi
token "$traefik" wlt-catalog-read "gateway (Consul Catalog provider)"

# The anonymous token (fixed accessor id): catalog reads only, never a write.
consul acl token update -id 00000000-0000-0000-0000-000000000002 \
    -policy-name wlt-catalog-read -description "anonymous: read the catalog" >/dev/null
echo "acl-bootstrap: policies and tokens in place"
