"""What `make run` prints once everything is up: where each thing is, and what is missing."""

from __future__ import annotations

from pathlib import Path


def banner(stack) -> list[str]:
    """The lines of the ready banner of a started LocalStack."""
    gateway = stack.gateway_url
    dashboard = f"http://127.0.0.1:{stack.dashboard_port}/dashboard/"
    login = Path(stack.var_dir) / "dev-gateway.env"
    lines = [
        "[devstack] ready:",
        f"  gateway            {gateway}",
        f"  API docs           {gateway}/docs  (Swagger UI; reference: docs/api.md)",
        f"  Traefik dashboard  {dashboard}  (login in {login})",
    ]
    if stack.consul is not None:
        lines.append(f"  Consul UI          {stack.consul.url}/ui/")
    else:
        lines.append("  Consul UI          none: no Consul runs (static discovery)")
    if stack.kafka_bootstrap:
        lines.append(f"  Kafka              {stack.kafka_bootstrap}")
    lines.append(f"  logs               {stack.log_dir}/<process>.log")
    if getattr(stack, "cors_origins", ()):
        lines.append(f"  CORS origins       {', '.join(stack.cors_origins)}")
    degraded = []
    if not stack.kafka_bootstrap:
        degraded.append("NO BROKER: events wait in the outboxes, statistics do NOT update")
    if stack.discovery != "consul" or stack.consul is None:
        degraded.append("STATIC DISCOVERY: fixed addresses, not the deployed Consul topology")
    lines += [f"  DEGRADED           {what}" for what in degraded]
    said = len(getattr(stack, "warnings", ()))
    if said:
        lines.append(f"  warnings           {said} during start-up, printed above")
    lines.append("[devstack] Ctrl-C stops everything")
    return lines
