# Single-server Consul for docker compose: the catalog, health checks and the UI.
# Production runs three or five servers and a client agent on every host (docs/deploy.md).
datacenter           = "dc1"
node_name            = "consul"
server               = true
bootstrap_expect     = 1
client_addr          = "0.0.0.0"
disable_update_check = true
log_level            = "INFO"

ui_config {
  enabled = true
}

# Default deny: without a token nothing may be written. The tokens themselves (the
# management token from .env, also used by the agent for its own node) come from
# compose's CONSUL_LOCAL_CONFIG; consul-acl-init (consul/acl-bootstrap.sh) creates one
# token per service, allowed to register only its own name, and a read-only one for Traefik.
acl {
  enabled                  = true
  default_policy           = "deny"
  enable_token_persistence = true
}
