#!/usr/bin/env python3
"""delay_relay.py LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT DELAY_MS
    [SECONDS]

A TCP relay that holds every byte DELAY_MS/2 in each direction, so a
request-response round trip through it takes DELAY_MS longer: the network
delay `tc qdisc ... netem delay` would add on a kernel that has netem.

Each chunk read from one side is stamped with its arrival time and written
to the other side at arrival + DELAY_MS/2, in order; chunks are pipelined
(a delay, not a bandwidth limit), so back-to-back requests on a kept
connection are each delayed by the same amount.  Exits after SECONDS
(default 120).  Prints "ready" once listening.
"""
import asyncio
import sys


async def pump(reader, writer, half_s):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + half_s, data))
            if not data:
                return

    async def write():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    host, port, up_host, up_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    half_s = float(sys.argv[5]) / 2000.0
    seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 120.0

    async def handle(cr, cw):
        try:
            ur, uw = await asyncio.open_connection(up_host, up_port)
        except OSError:
            cw.close()
            return
        await asyncio.gather(pump(cr, uw, half_s), pump(ur, cw, half_s))

    server = await asyncio.start_server(handle, host, port, backlog=256)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(seconds)


if __name__ == "__main__":
    asyncio.run(main())
