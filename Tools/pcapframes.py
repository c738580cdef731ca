"""Ethernet/IPv4/UDP frames and classic pcap records for the scripts that write captures
(Benchmarks/make-flood-capture.py, Tools/benign-stress.py). Addresses are the callers' (they use
198.18.0.0/15); nothing here sends anything."""
import struct

# Classic pcap, microsecond timestamps, Ethernet.
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def checksum(b):
    """The IPv4 header checksum (RFC 1071)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def wire_name(name):
    """A dotted name in DNS wire form (no compression)."""
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def udp_frame(src, dst, sport, dport, payload):
    """An Ethernet frame holding one IPv4/UDP datagram (UDP checksum 0: not computed)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp


def record(seconds, microseconds, frame):
    """One pcap record."""
    return struct.pack("<IIII", seconds, microseconds, len(frame), len(frame)) + frame
