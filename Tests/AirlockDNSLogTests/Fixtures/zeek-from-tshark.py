#!/usr/bin/env python3
"""Expected Zeek dns.log fields for a capture, derived from Wireshark's decoding (tshark -T json).

An independent reference for AirlockDNSLogTests: tshark parses the packets and pairs requests with
responses (dns.response_to); this script only maps its fields onto Zeek's dns.log semantics
(scripts/base/protocols/dns/main.zeek): ts = the query's time, rtt, lower-case query, answers
from the answer section only, in Zeek's text (address, target name, "TXT <len> <text>",
"<unknown type=N>"), TTLs, rejected = a response with no records in any section. Airlock's
deliberate difference (TC from the response) is applied. uid is left out (Zeek's are random).

usage: zeek-from-tshark.py CAPTURE > expected.jsonl   (one JSON object a line, sorted)
"""
import json
import subprocess
import sys

NAME_TYPES = {2: "dns.ns", 5: "dns.cname", 12: "dns.ptr.domain_name", 39: "dns.dname", 15: "dns.mx.mail_exchange",
              33: "dns.srv.target", 6: "dns.soa.mname"}


def ascii_lower(name):
    """DNS case folding: ASCII letters only (Python's str.lower would fold other letters too)."""
    name = "" if name == "<Root>" else name
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)


def answer_text(rr):
    t = int(rr["dns.resp.type"])
    if t == 1:
        return rr["dns.a"]
    if t == 28:
        return rr["dns.aaaa"]
    if t in NAME_TYPES:
        return rr.get(NAME_TYPES[t], "").rstrip(".").replace("<Root>", "")
    if t in (16, 99):
        texts = rr.get("dns.txt", [])
        lengths = rr.get("dns.txt.length", [])
        if isinstance(texts, str):
            texts, lengths = [texts], [lengths]
        tag = "TXT" if t == 16 else "SPF"
        return " ".join(f"{tag} {int(n)} {s}" for n, s in zip(lengths, texts))
    if t == 11:
        return None
    if t == 46:
        return f"RRSIG {int(rr['dns.rrsig.type_covered'])} {rr['dns.rrsig.signers_name']}"
    if t == 48:
        return f"DNSKEY {int(rr['dns.dnskey.algorithm'])}"
    if t == 43:
        return f"DS {int(rr['dns.ds.algorithm'])} {int(rr['dns.ds.digest_type'])}"
    return f"<unknown type={t}>"


def messages(packet):
    layers = packet["_source"]["layers"]
    dns = layers.get("dns")
    if dns is None:
        return
    for message in dns if isinstance(dns, list) else [dns]:
        yield layers, message


def main():
    out = subprocess.run(["tshark", "-r", sys.argv[1], "-Y", "dns", "-T", "json", "--no-duplicate-keys"],
                         capture_output=True, check=True).stdout
    queries = {}   # frame number -> record (a frame holds one query in these captures)
    records = []
    for packet in json.loads(out.decode("utf-8", "replace")):
        for layers, m in messages(packet):
            frame = int(layers["frame"]["frame.number"])
            ip = layers.get("ip") or layers.get("ipv6")
            src = ip.get("ip.src") or ip.get("ipv6.src")
            dst = ip.get("ip.dst") or ip.get("ipv6.dst")
            proto = "udp" if "udp" in layers else "tcp"
            sport = int(layers[proto][proto + ".srcport"])
            dport = int(layers[proto][proto + ".dstport"])
            flags = m["dns.flags_tree"]
            if flags["dns.flags.opcode"] != "0":
                continue
            question = next(iter(m.get("Queries", {}).values()), None)
            if flags["dns.flags.response"] == "0":
                r = {"ts": round(float(layers["frame"]["frame.time_epoch"]), 6), "id.orig_h": src, "id.orig_p": sport,
                     "id.resp_h": dst, "id.resp_p": dport, "proto": proto, "trans_id": int(m["dns.id"], 16),
                     "RD": flags["dns.flags.recdesired"] == "1", "AA": False, "RA": False, "TC": False,
                     "rejected": False}
                if question:
                    r["query"] = ascii_lower(question["dns.qry.name"])
                    r["qtype"] = int(question["dns.qry.type"])
                    r["qclass"] = int(question["dns.qry.class"], 16)
                queries[frame] = r
                records.append(r)
                continue
            request = queries.get(int(m["dns.response_to"])) if "dns.response_to" in m else None
            if request is None:
                request = {"ts": round(float(layers["frame"]["frame.time_epoch"]), 6), "id.orig_h": dst,
                           "id.orig_p": dport, "id.resp_h": src, "id.resp_p": sport, "proto": proto,
                           "trans_id": int(m["dns.id"], 16), "RD": False, "rejected": False}
                if question:
                    request["query"] = ascii_lower(question["dns.qry.name"])
                    request["qtype"] = int(question["dns.qry.type"])
                    request["qclass"] = int(question["dns.qry.class"], 16)
                records.append(request)
            else:
                rtt = round(float(m["dns.time"]), 6)
                if rtt > 0:
                    request["rtt"] = rtt
            request["rcode"] = int(flags["dns.flags.rcode"])
            request["AA"] = flags["dns.flags.authoritative"] == "1"
            request["RA"] = flags["dns.flags.recavail"] == "1"
            request["TC"] = flags["dns.flags.truncated"] == "1"
            rrs = []
            for value in m.get("Answers", {}).values():
                rrs += value if isinstance(value, list) else [value]
            answers = [answer_text(rr) for rr in rrs]
            ttls = [float(rr["dns.resp.ttl"]) for rr in rrs]
            kept = [(a, t) for a, t in zip(answers, ttls) if a is not None]
            if kept:
                request["answers"] = [a for a, _ in kept]
                request["TTLs"] = [t for _, t in kept]
            counts = sum(int(m[k]) for k in ("dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr"))
            request["rejected"] = question is not None and counts == 0
    lines = sorted(json.dumps(r, sort_keys=True) for r in records)
    print("\n".join(lines))


main()
