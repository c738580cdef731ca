#!/usr/bin/env python3
"""Checks and counts one capture with tshark.

  inspect_pcap.py check RAW.pcap
      Fails (exit 1) if any IP packet has an address outside 198.18.0.0/15 or if any IPv6 packet is
      present: the proof that a generation run kept its traffic inside the namespaces.
  inspect_pcap.py stats FILE.pcap [--zone ZONE]
      Prints JSON: packets, DNS queries/responses, transports, query types, rcodes, unique names,
      time span, and (with --zone) how many queries fall under the tunnel zone.
"""
import collections, ipaddress, json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import names as psl  # noqa: E402

NET = ipaddress.ip_network("198.18.0.0/15")

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 10: "NULL", 12: "PTR", 15: "MX", 16: "TXT", 25: "KEY",
          28: "AAAA", 33: "SRV", 41: "OPT", 64: "SVCB", 65: "HTTPS", 255: "ANY", 257: "CAA", 65399: "PRIVATE"}


def tshark(path, *fields, dfilter=None):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    if dfilter:
        cmd += ["-Y", dfilter]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, errors="replace").stdout
    return [line.split("\t") for line in out.splitlines()]


def check(path):
    rows = tshark(path, "frame.number", "ip.src", "ip.dst", "ipv6.src", "eth.type")
    bad = []
    for num, src, dst, v6, ethtype in rows:
        if v6:
            bad.append(f"frame {num}: IPv6 packet")
        for a in (src, dst):
            if a and ipaddress.ip_address(a) not in NET:
                bad.append(f"frame {num}: address {a} outside 198.18.0.0/15")
    if bad:
        print("\n".join(bad[:20]), file=sys.stderr)
        return 1
    print(json.dumps({"frames": len(rows), "outside_198_18_15": 0}))
    return 0


def stats(path, zone=None):
    frames = tshark(path, "frame.number", "frame.time_epoch")
    rows = tshark(path, "dns.flags.response", "dns.qry.name", "dns.qry.type", "dns.flags.rcode", "tcp.stream",
                  "frame.time_epoch", dfilter="dns")
    q = r = 0
    qtypes, rcodes, transports = collections.Counter(), collections.Counter(), collections.Counter()
    names = set()
    in_zone = 0
    zone_l = zone.lower().rstrip(".") if zone else None
    for resp, name, qtype, rcode, tcp, _t in rows:
        transports["tcp" if tcp else "udp"] += 1
        if resp == "0" or resp.lower() == "false":
            q += 1
            qtypes[QTYPES.get(int(qtype), qtype) if qtype.isdigit() else qtype] += 1
            names.add(name.lower())
            n = name.lower().rstrip(".")
            if zone_l and (n == zone_l or n.endswith("." + zone_l)):
                in_zone += 1
        else:
            r += 1
            if rcode.isdigit():
                rcodes[{0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}.get(int(rcode), rcode)] += 1
    times = [float(t) for _n, t in frames if t]
    out = {
        "packets": len(frames),
        "dns_messages": len(rows),
        "queries": q,
        "responses": r,
        "unique_query_names": len(names),
        # distinct eTLD+1 (ICANN section of the Public Suffix List) among the query names
        "registered_domains_queried": len({psl.registered_domain(n.rstrip("."), private=False) for n in names} - {None}),
        "query_types": dict(qtypes.most_common()),
        "response_codes": dict(rcodes.most_common()),
        "transport_messages": dict(transports),
        "duration_seconds": round(max(times) - min(times), 3) if times else 0,
    }
    if zone_l:
        out["queries_under_tunnel_zone"] = in_zone
    return out


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        return check(sys.argv[2])
    if len(sys.argv) >= 3 and sys.argv[1] == "stats":
        zone = sys.argv[sys.argv.index("--zone") + 1] if "--zone" in sys.argv else None
        print(json.dumps(stats(sys.argv[2], zone)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
