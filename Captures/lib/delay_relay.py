#!/usr/bin/env python3
"""Network-distance emulator: forwards DNS over UDP (and optionally TCP) to a backend after a delay.

This machine's kernel has no netem qdisc, so a veth pair has ~0.05 ms round trips and a tunnel
client would run thousands of queries per second, which no real network allows. The relay sits
in front of a server inside the server namespace and holds every datagram (and TCP chunk) for
--delay-ms (+ uniform jitter up to --jitter-ms) in each direction, keeping per-direction order as
a real path does. It never changes a payload byte. One backend socket per client address, like a
NAT. The process stops by itself after --seconds.
"""
import argparse, asyncio, random, socket, time


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


class Delay:
    """Delay for the next packet in one direction, never earlier than the previous one (FIFO)."""

    def __init__(self, rng, ms, jitter_ms):
        self.rng, self.ms, self.jitter = rng, ms, jitter_ms
        self.last = 0.0

    def due(self):
        t = time.monotonic() + (self.ms + self.rng.uniform(0, self.jitter)) / 1000.0
        t = max(t, self.last)
        self.last = t
        return max(0.0, t - time.monotonic())


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, relay, client_addr):
        self.relay, self.client_addr = relay, client_addr
        self.down = Delay(relay.rng, relay.ms, relay.jitter)
        self.transport = None
        self.last_used = time.monotonic()

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        loop = asyncio.get_running_loop()
        loop.call_later(self.down.due(), self.relay.transport.sendto, data, self.client_addr)


class Relay(asyncio.DatagramProtocol):
    def __init__(self, backend, ms, jitter, rng):
        self.backend, self.ms, self.jitter, self.rng = backend, ms, jitter, rng
        self.flows = {}
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        asyncio.ensure_future(self.forward(data, addr))

    async def forward(self, data, addr):
        flow = self.flows.get(addr)
        if flow is None:
            loop = asyncio.get_running_loop()
            flow = Upstream(self, addr)
            flow.up = Delay(self.rng, self.ms, self.jitter)
            self.flows[addr] = flow
            await loop.create_datagram_endpoint(lambda: flow, remote_addr=self.backend)
            if len(self.flows) > 4096:  # bound memory: drop the oldest idle flows
                for k, f in sorted(self.flows.items(), key=lambda kv: kv[1].last_used)[:1024]:
                    f.transport.close()
                    del self.flows[k]
        flow.last_used = time.monotonic()
        asyncio.get_running_loop().call_later(flow.up.due(), flow.transport.sendto, data)


async def pump(reader, writer, delay):
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            await asyncio.sleep(delay.due())
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--backend", required=True)
    ap.add_argument("--delay-ms", type=float, required=True, help="one-way delay")
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--seconds", type=float, default=900)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    listen, backend = parse_hostport(a.listen), parse_hostport(a.backend)
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Relay(backend, a.delay_ms, a.jitter_ms, rng), local_addr=listen,
                                        family=socket.AF_INET)
    if a.tcp:
        async def handle(reader, writer):
            try:
                br, bw = await asyncio.open_connection(*backend)
            except OSError:
                writer.close()
                return
            await asyncio.gather(pump(reader, bw, Delay(rng, a.delay_ms, a.jitter_ms)),
                                 pump(br, writer, Delay(rng, a.delay_ms, a.jitter_ms)))
        await asyncio.start_server(handle, *listen, reuse_address=True)
    print(f"relay {a.listen} -> {a.backend} delay {a.delay_ms}+{a.jitter_ms} ms tcp={a.tcp}", flush=True)
    await asyncio.sleep(a.seconds)


if __name__ == "__main__":
    asyncio.run(main())
