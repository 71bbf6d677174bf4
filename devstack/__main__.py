"""Command line: `python -m devstack run | setup | traefik-config`.

run              the whole system in the foreground; Ctrl-C or SIGTERM stops all of it
setup            first-use set-up (also `python3 devstack/bootstrap.py`, before .venv exists)
traefik-config   render the gateway config for the default ports into traefik/local/
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The rendering in traefik/local/ names no real token or password: `make run` writes its own.
CHECKED_IN = {
    "consul": ("127.0.0.1:8500", "<the traefik token from var/dev-consul-tokens.env>"),
    "dashboard": ["admin:<{SHA} of the password in var/dev-gateway.env>"],
    "verify_url": "http://127.0.0.1:8007",
    "cors": ("http://localhost:3000", "http://127.0.0.1:3000"),  # make run's development origins
}


def _run(args: argparse.Namespace) -> int:
    from devstack.banner import banner
    from devstack.stack import LocalStack, StartupError

    stack = LocalStack(
        var_dir=ROOT / "var",
        port_base=args.port_base,
        kafka_port=args.kafka_port,
        postgres_port=args.postgres_port,
        with_traefik=not args.no_traefik,
        strict=False,
        log=lambda line: print(line, flush=True),
    )
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stopping.is_set():
            return  # already stopping: a second Ctrl-C must not abandon children
        stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        print("\n".join(banner(stack)), flush=True)
        while not stopping.wait(3600):
            pass
    except KeyboardInterrupt:
        print("\n[devstack] stopping...", flush=True)
    except StartupError as exc:
        print(f"[devstack] FAILED: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    finally:
        stopping.set()
        stack.stop()
    return 0


def _traefik_config(args: argparse.Namespace) -> int:
    from devstack.services import DASHBOARD_PORT_OFFSET, DEFAULT_PORT_BASE, SERVICES
    from devstack.traefik import write_config

    out = Path(args.out)
    static, dynamic = write_config(
        out,
        SERVICES,
        port_base=DEFAULT_PORT_BASE,
        dashboard_port=DEFAULT_PORT_BASE + DASHBOARD_PORT_OFFSET,
        log_dir="var/log",
        dynamic_file=f"{args.out.rstrip('/')}/dynamic.yml",
        **CHECKED_IN,
    )
    print(f"wrote {static} and {dynamic}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    from devstack.services import DEFAULT_KAFKA_PORT, DEFAULT_PORT_BASE

    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole system in the foreground")
    run.add_argument(
        "--port-base", type=int, default=DEFAULT_PORT_BASE, help="gateway port; services +1..+6"
    )
    run.add_argument("--kafka-port", type=int, default=DEFAULT_KAFKA_PORT)
    run.add_argument("--postgres-port", type=int, default=None, help="default: port base + 432")
    run.add_argument("--no-traefik", action="store_true", help="services only, no gateway")
    commands.add_parser("setup", help="first-use set-up")
    config = commands.add_parser(
        "traefik-config", help="render the gateway config for the default ports"
    )
    config.add_argument("--out", default="traefik/local")
    args = parser.parse_args(argv)
    if args.command == "setup":
        from devstack import bootstrap

        return bootstrap.main()
    if args.command == "traefik-config":
        return _traefik_config(args)
    return _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
