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
