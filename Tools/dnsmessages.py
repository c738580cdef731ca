"""DNS queries and answers as pcap records, for the generators that write captures (Tools/techniques.py,
Tools/benign-day.py). Frames come from pcapframes.py; this adds the DNS messages (A, AAAA, TXT, CNAME,
MX, NULL, SRV, PTR, SOA answers; NXDOMAIN), label encoders and a capture that keeps every packet's time
in whole microseconds, so a replay record's time can be matched to the query that produced it.

Addresses are the callers' (198.18.0.0/15); nothing here sends anything.
"""
import base64
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapframes import PCAP_HEADER, record, udp_frame  # noqa: E402

A, NS, CNAME, SOA, PTR, NULL, MX, TXT, AAAA, SRV, HTTPS = 1, 2, 5, 6, 12, 10, 15, 16, 28, 33, 65
NOERROR, SERVFAIL, NXDOMAIN = 0, 2, 3
TYPE_NAMES = {"A": A, "NS": NS, "CNAME": CNAME, "SOA": SOA, "PTR": PTR, "NULL": NULL, "MX": MX,
              "TXT": TXT, "AAAA": AAAA, "SRV": SRV, "HTTPS": HTTPS}

B32 = "abcdefghijklmnopqrstuvwxyz234567"
HEX = "0123456789abcdef"
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def labels_of(name):
    """A name as a list of byte labels; a `bytes` name may hold any octet but '.'."""
    if isinstance(name, str):
        name = name.encode("latin-1")
    return [label for label in name.split(b".") if label]


def wire(name):
    """A name in DNS wire form, uncompressed (labels longer than 63 bytes are the caller's bug)."""
    out = bytearray()
    for label in labels_of(name):
        if len(label) > 63:
            raise ValueError(f"label longer than 63 bytes in {name!r}")
        out.append(len(label))
        out += label
    out.append(0)
    if len(out) > 255:
        raise ValueError(f"name longer than 255 bytes in wire form: {name!r}")
    return bytes(out)


def split_labels(text, size):
    """`text` cut into labels of at most `size` characters, joined with dots."""
    return ".".join(text[i:i + size] for i in range(0, len(text), size))


# Encoders: the text each tool family puts in labels, and how many payload bytes a label of n characters holds.
def b32(data):
    return base64.b32encode(data).decode().rstrip("=").lower()


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hexs(data):
    return data.hex()


BITS_PER_CHAR = {"base32": 5, "hex": 4, "base64url": 6, "alnum": 5.17, "base36": 5.17}


def payload_bytes(chars, encoding):
    """Payload bytes held by `chars` characters of `encoding`."""
    return int(chars * BITS_PER_CHAR[encoding] / 8)


# Answer data.
def rdata_a(address):
    return bytes(address)


def rdata_txt(*strings):
    out = b""
    for s in strings:
        if isinstance(s, str):
            s = s.encode("latin-1")
        for i in range(0, max(1, len(s)), 255):
            chunk = s[i:i + 255]
            out += bytes([len(chunk)]) + chunk
    return out


def rdata_mx(preference, name):
    return struct.pack("!H", preference) + wire(name)


def rdata_srv(priority, weight, port, name):
    return struct.pack("!HHH", priority, weight, port) + wire(name)


def rdata_soa(mname, rname, serial, minimum=60):
    return wire(mname) + wire(rname) + struct.pack("!IIIII", serial, 3600, 600, 86400, minimum)


def message(qid, name_wire, qtype, flags, answers=(), authority=(), edns=False):
    """One DNS message. `answers`/`authority`: (type, ttl, rdata) or (owner wire, type, ttl, rdata);
    an owner of None points at the question name (compression pointer 0xC00C)."""
    body = name_wire + struct.pack("!HH", qtype, 1)
    records = b""
    for rr in list(answers) + list(authority):
        if len(rr) == 3:
            owner, (rtype, ttl, rdata) = None, rr
        else:
            owner, rtype, ttl, rdata = rr
        records += (b"\xc0\x0c" if owner is None else owner) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    additional = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00" if edns else b""
    header = struct.pack("!HHHHHH", qid, flags, 1, len(answers), len(authority), 1 if edns else 0)
    return header + body + records + additional


class Capture:
    """Query/answer exchanges in time order. Times are integer microseconds since the epoch; each
    query gets its own microsecond, so a replay record's time identifies it. Queries marked with
    `payload` (bytes of attacker data the name carries) are the technique's; the rest is background."""

    def __init__(self, rng):
        self.rng = rng
        self.packets = []  # (time µs, sequence, frame)
        self.used = set()  # query times already taken
        self.technique = []  # (time µs, payload bytes, name) of technique queries, in insertion order
        self.queries = 0

    def exchange(self, time, client, server, name, qtype, rcode=NOERROR, answers=(), authority=(),
                 payload=None, rtt=0.02, sport=None, edns=False, answer=True, aa=False):
        """One query from `client` to `server` (IPv4 lists) at `time` seconds, and its answer
        `rtt` seconds later unless `answer` is False. Returns the query's time in µs."""
        t = int(round(time * 1e6))
        while t in self.used:
            t += 1
        self.used.add(t)
        qid = self.rng.randrange(65536)
        sport = sport or self.rng.randrange(1024, 65535)
        name_wire = wire(name)
        self.queries += 1
        seq = len(self.packets)
        self.packets.append((t, seq, udp_frame(client, server, sport, 53,
                                               message(qid, name_wire, qtype, 0x0100, edns=edns))))
        if answer:
            flags = 0x8180 | (0x0400 if aa else 0) | rcode
            reply = message(qid, name_wire, qtype, flags, answers if rcode == NOERROR else (), authority, edns=edns)
            self.packets.append((t + max(1, int(rtt * 1e6)), seq + 1, udp_frame(server, client, 53, sport, reply)))
        if payload is not None:
            self.technique.append((t, payload, name))
        return t

    def write(self, path):
        self.packets.sort()
        with open(path, "wb") as f:
            f.write(PCAP_HEADER)
            for t, _, frame in self.packets:
                f.write(record(t // 1_000_000, t % 1_000_000, frame))
        return os.path.getsize(path)
