"""A TCP forwarder: `python forward.py LISTEN_PORT=HOST:PORT ...` (the Swarm tests' loopback door).

Swarm can publish ports only on every interface; the tests run this in a plain container
on the stack's attachable network with its ports published on 127.0.0.1 instead.
"""

import asyncio
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def handler(host: str, port: int):
    async def handle(reader, writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    return handle


async def main(rules: list[str]) -> None:
    servers = []
    for rule in rules:
        listen, target = rule.split("=")
        host, port = target.rsplit(":", 1)
        servers.append(await asyncio.start_server(handler(host, int(port)), "0.0.0.0", int(listen)))
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
