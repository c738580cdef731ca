#!/usr/bin/env python3
"""DNS tunnel and C2 techniques as captures, replayed through Airlock: detected?, and how much left first.

For each technique (issue #15, from public descriptions of the tools and campaigns, not from Airlock's
thresholds) this writes several seeded variants as pcaps (queries and plausible answers, embedded in benign
background from the same client and from others), replays each with `airlock replay --jsonl` and reports:
detected?, the technique's queries and payload bytes (the attacker data the names carry, which the
generator knows per query) that left before the first detecting record, and the totals.

A detecting record is any record with a verdict other than `suspicious-name` (tunnel, campaign, beacon,
...) on one of the technique's registered domains or, for traffic sent straight to a server, on that
server's address group. Suspicious-name verdicts are counted apart. Exit status 1 if a variant is missed or
lets 1 KB of payload or more leave before detection, or if a background domain (the client's benign lookups,
or the search-list suffixes a pod's resolver tries first, such as cluster.local) gets a verdict other than
suspicious-name (`--no-fail` only prints).

    python3 Tools/techniques.py [--airlock PATH] [--smoke] [--seed N] [--only KEY,...] [--variants N]
                                [--keep DIR] [--no-fail] [-v]

Every address is in 198.18.0.0/15; nothing is sent anywhere: the script only writes pcap files.
"""
import argparse
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time as clock
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsmessages as dm  # noqa: E402
from dnsmessages import A, AAAA, CNAME, MX, NULL, NXDOMAIN, SRV, TXT  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEAK_LIMIT = 1024
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z

RESOLVER = [198, 18, 0, 53]
IMPLANT = [198, 18, 1, 10]
NEIGHBOURS = [[198, 18, 1, n] for n in range(11, 15)]

WORDS = """able acid aged also area army away baby back ball band bank base bath bear beat been beer bell belt
best bill bird blow blue boat body bomb bond bone book boom born boss both bowl bulk burn bush busy cafe cake
call calm came camp card care case cash cast cell chat chip city club coal coat code cold come cook cool cope
copy core cost crew crop dark data date dawn days dead deal dean dear debt deep deny desk dial diet disk dock
does done door dose down draw drew drop drug dual duke dust duty each earn ease east easy edge else even ever
exit face fact fail fair fall farm fast fate fear feed feel feet fell felt file fill film find fine fire firm
fish five flat flow food foot form fort four free from fuel full fund gain game gate gave gear gift girl give
glad goal goes gold golf gone good gray grew grey grow gulf hair half hall hand hang hard harm hate have head
hear heat held hell help here hero high hill hire hold hole holy home hope host hour huge hung hunt hurt idea
inch into iron item jack jane jean john join jump jury just keen keep kent kept kick kind king knee knew know
lack lady laid lake land lane last late lead left less life lift like line link list live load loan lock logo
long look lord lose loss lost love luck made mail main make male many mark mass matt meal mean meat meet menu
mere mike mile milk mill mind mine miss mode mood moon more most move much must name navy near neck need news
next nice nick nine none nose note okay once only open oral over pace pack page paid pain pair palm park part
pass past path peak pick pink pipe plan play plot plug plus poll pool poor port post pull pure push race rail
rain rank rare rate read real rear rely rent rest rice rich ride ring rise risk road rock role roll roof room
root rose rule rush safe said sake sale salt same sand save seat seed seek seem seen self sell send sent sept
ship shop shot show shut sick side sign site size skin slip slow snow soft soil sold sole some song soon sort
soul spot star stay step stop such suit sure take tale talk tall tank tape task team tech tell tend term test
text than that them then they thin this thus till time tiny told toll tone tony tool tour town tree trip true
tune turn twin type unit upon used user vary vast very vice view vote wage wait wake walk wall want ward warm
wash wave ways weak wear week well went were west what when whom wide wife wild will wind wine wing wire wise
wish with wood word wore work yard yeah year your zero zone""".split()

BRANDS = """microsoft office outlook windows azure google gmail adobe oracle zoom dropbox slack cisco vmware
expedia uber paypal amazon apple icloud linkedin skype teams onedrive sharepoint citrix fortinet okta
asiaworld remit telegram whatsapp nvidia intel dell lenovo hp samsung""".split()
AFFIXES = """asia world update updates cdn cloud sync online support service services api group jo my secure
net web login portal help center cdnsvc static live hub app apps edge mail store""".split()
LOOKALIKE_TLDS = ["agency", "com", "net", "org", "info", "online", "site", "xyz", "live", "tech", "cloud",
                  "services", "top", "biz", "co", "io", "us", "me"]


def public_suffixes():
    """Top-level suffixes of the Public Suffix List, when the publicsuffix package is installed (so a
    made-up TLD is really made up); otherwise a short built-in list."""
    path = "/usr/share/publicsuffix/public_suffix_list.dat"
    tlds = set(LOOKALIKE_TLDS) | {"arpa", "local", "internal", "test", "example", "invalid", "localhost"}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith("//"):
                tlds.add(line.split(".")[-1].lstrip("*!"))
    return tlds


REAL_TLDS = public_suffixes()


class Variant:
    """One capture of one technique: its registered domains, the server address its direct traffic
    goes to (if any), and the Capture holding technique and background queries."""

    def __init__(self, name, description, rng):
        self.name = name
        self.description = description
        self.rng = rng
        self.capture = dm.Capture(rng)
        self.domains = set()
        self.servers = set()


def pod_search(rng):
    """Half the time the implant runs in a Kubernetes pod and resolves through getaddrinfo: with
    `ndots:5` each name is first tried under the pod's search list (NXDOMAIN from the cluster resolver)."""
    if rng.random() < 0.5:
        return None
    ns = rng.choice(["default", "agents", "ci", "tools"])
    return [f"{ns}.svc.cluster.local", "svc.cluster.local", "cluster.local",
            rng.choice(["us-west-2.compute.internal", "ec2.internal", "c.agents-prod.internal"])]


def lookup(v, t, client, name, qtype, search, payload, answers=(), rcode=0, rtt=0.02):
    """One getaddrinfo-style lookup: the search-list expansions (when `search` is set and the name has
    fewer than 5 dots), then the name itself, which carries the payload to the attacker's server."""
    if search and name.count(".") < 5:
        for suffix in search:
            if len(name) + 1 + len(suffix) > 253:  # too long to ask: the resolver library skips it
                continue
            v.capture.exchange(t, client, RESOLVER, f"{name}.{suffix}", qtype, rcode=NXDOMAIN, rtt=0.0008)
            t += 0.001
    v.capture.exchange(t, client, RESOLVER, name, qtype, rcode=rcode, answers=answers, payload=payload, rtt=rtt)


def enc(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def encode(data, encoding):
    if encoding == "base32":
        return dm.b32(data)
    if encoding == "hex":
        return dm.hexs(data)
    if encoding == "base64url":
        return dm.b64url(data)
    raise ValueError(encoding)


def address(rng):
    return [198, 18, rng.randrange(32, 256), rng.randrange(1, 255)]


def a_answer(rng, ttl=300):
    return [(A, ttl, dm.rdata_a(address(rng)))]


def fits(domain, encoding_bits=4):
    """Payload bytes that fit in labels of 60 characters under `domain` within the 253-character limit."""
    room = 253 - len(domain) - 1
    chars = room - room // 61
    return max(1, chars * encoding_bits // 8)


def answer_for(rng, qtype, ttl, data=None, domain="example.net"):
    """A plausible answer of `qtype` for a tunnel server: data-bearing where the tool sends data back
    (in a name, only as much as a name can hold)."""
    data = data if data is not None else rng.randbytes(rng.randrange(4, 24))
    if qtype in (CNAME, MX, SRV):
        data = data[:fits(domain)]
    if qtype == A:
        return [(A, ttl, bytes([198, 18, 32 + data[0] % 200, data[1 % len(data)] or 1]))]
    if qtype == AAAA:
        return [(AAAA, ttl, bytes([0x20, 0x01, 0x0d, 0xb8]) + (data + bytes(12))[:12])]
    if qtype == TXT:
        return [(TXT, ttl, dm.rdata_txt(dm.b32(data)))]
    if qtype == CNAME:
        return [(CNAME, ttl, dm.wire(dm.split_labels(dm.hexs(data), 60) + "." + domain))]
    if qtype == MX:
        return [(MX, ttl, dm.rdata_mx(10, dm.split_labels(dm.hexs(data), 60) + "." + domain))]
    if qtype == NULL:
        return [(NULL, ttl, data)]
    if qtype == SRV:
        return [(SRV, ttl, dm.rdata_srv(0, 0, 80, dm.split_labels(dm.hexs(data), 60) + "." + domain))]
    return []


# Benign background: what a developer's or an agent's machine resolves while the implant runs.
POPULAR = ["github.com", "api.github.com", "raw.githubusercontent.com", "objects.githubusercontent.com",
           "pypi.org", "files.pythonhosted.org", "registry.npmjs.org", "deb.debian.org", "www.google.com",
           "fonts.googleapis.com", "fonts.gstatic.com", "www.gstatic.com", "api.openai.com", "api.anthropic.com",
           "login.microsoftonline.com", "graph.microsoft.com", "www.bing.com", "outlook.office365.com",
           "update.code.visualstudio.com", "marketplace.visualstudio.com", "slack.com", "edgeapi.slack.com",
           "www.wikipedia.org", "en.wikipedia.org", "stackoverflow.com", "cdn.jsdelivr.net", "unpkg.com",
           "s3.amazonaws.com", "sts.amazonaws.com", "ocsp.digicert.com", "time.cloudflare.com",
           "connectivity-check.ubuntu.com", "docs.python.org", "hub.docker.com", "registry-1.docker.io",
           "production.cloudflare.docker.com", "auth.docker.io", "www.youtube.com", "i.ytimg.com",
           "news.ycombinator.com", "www.reddit.com", "www.redditstatic.com", "mozilla.org", "www.mozilla.org",
           "push.services.mozilla.com", "incoming.telemetry.mozilla.org", "dns.google", "www.apple.com"]


def background(v, clients, t0, t1, mean_gap):
    """Benign lookups (A and AAAA, readable hosts, CDN names) from each client, a Poisson process with
    `mean_gap` seconds between names."""
    rng = v.rng
    for client in clients:
        t = t0 + rng.random() * mean_gap
        while t < t1:
            r = rng.random()
            if r < 0.6:
                name = rng.choice(POPULAR)
            elif r < 0.75:
                name = f"d{enc(rng, dm.ALNUM, 13)}.cloudfront.net"
            elif r < 0.85:
                name = f"e{rng.randrange(1, 99999)}.{rng.choice(['dsca', 'dscb', 'dscx', 'a', 'b'])}.akamaiedge.net"
            else:
                name = f"{rng.choice(WORDS)}.{rng.choice(WORDS)}{rng.choice(['', '-', ''])}{rng.choice(WORDS)}.com"
            v.capture.exchange(t, client, RESOLVER, name, A, answers=a_answer(rng, rng.choice([60, 300, 3600])))
            v.capture.exchange(t + 0.0003, client, RESOLVER, name, AAAA, rtt=0.021)
            t += rng.expovariate(1 / mean_gap)


def lookalike(rng, used, tlds):
    while True:
        brand, affix = rng.choice(BRANDS), rng.choice(AFFIXES)
        sep = rng.choice(["", "-", ""])
        body = f"{affix}{sep}{brand}" if rng.random() < 0.4 else f"{brand}{sep}{affix}"
        domain = f"{body}.{rng.choice(tlds)}"
        if domain not in used:
            used.add(domain)
            return domain


def random_domain(rng, used, tlds):
    while True:
        body = rng.choice(WORDS) + rng.choice(["", "-", ""]) + rng.choice(WORDS) + rng.choice(["", str(rng.randrange(10, 99))])
        domain = f"{body}.{rng.choice(tlds)}"
        if domain not in used:
            used.add(domain)
            return domain


def jittered(rng, base, jitter):
    return max(0.2, base * (1 + rng.uniform(-jitter, jitter)))


# a. Multi-domain round-robin C2 -----------------------------------------------------------------------
def round_robin_c2(rng, index, smoke):
    """One implant rotating short labels over 3-12 lookalike domains (RogueRobin, DNSpionage, Saitama)."""
    n = rng.randint(3, 12)
    tlds = [rng.choice(LOOKALIKE_TLDS)] if rng.random() < 0.4 else LOOKALIKE_TLDS
    used = set()
    domains = [lookalike(rng, used, tlds) for _ in range(n)]
    alphabet_name = rng.choice(["base32", "hex", "alnum"])
    alphabet = {"base32": dm.B32, "hex": dm.HEX, "alnum": dm.ALNUM}[alphabet_name]
    lo = rng.randint(5, 9)
    hi = rng.randint(lo, 12)
    qtypes = rng.choice([[TXT], [A], [AAAA], [A, AAAA], [TXT, A]])
    interval = rng.choice([5, 10, 20, 30, 60, 120, 180, 300])
    jitter = rng.choice([0.0, 0.1, 0.2, 0.3, 0.4])
    hours = 1.0 if smoke else rng.uniform(2, 6)
    rotation = rng.choice(["in order", "random"])
    ttl = rng.choice([0, 1, 5, 30, 60, 300])
    search = pod_search(rng) if qtypes != [TXT] else None
    v = Variant(f"c2-{n}dom-{alphabet_name}-{'+'.join(dm_type(q) for q in qtypes)}-{interval}s",
                f"{n} lookalike domains ({', '.join(domains[:3])}…), labels {lo}-{hi} {alphabet_name}, "
                f"beacon {interval}s ±{int(jitter * 100)}%, {hours:.1f} h, {rotation}"
                f"{', in a pod (ndots:5 search list)' if search else ''}", rng)
    v.domains.update(domains)
    t0 = START + index * 86400
    t1 = t0 + hours * 3600
    bursts = sorted(rng.uniform(t0 + 60, t1 - 60) for _ in range(rng.randint(1, 1 if smoke else 4)))
    counter = [0]

    def one(t, upload):
        counter[0] += 1
        domain = domains[counter[0] % n] if rotation == "in order" else rng.choice(domains)
        length = rng.randint(lo, hi)
        label = enc(rng, alphabet, length)
        name = f"{label}.{domain}"
        if rng.random() < 0.2 and not upload:  # a second, shorter label: the agent id apart from the counter
            name = f"{enc(rng, alphabet, rng.randint(3, 5))}.{name}"
        qtype = rng.choice(qtypes)
        body = "".join(name.split(".")[:-2])
        payload = dm.payload_bytes(len(body), "alnum" if alphabet_name == "alnum" else alphabet_name)
        lookup(v, t, IMPLANT, name, qtype, search if qtype in (A, AAAA) else None, payload,
               answers=answer_for(rng, qtype, ttl, domain=domain), rtt=rng.uniform(0.03, 0.3))

    t = t0
    burst_i = 0
    while t < t1:
        if burst_i < len(bursts) and t >= bursts[burst_i]:
            size = rng.randint(30, 80) if smoke else rng.randint(100, 500)
            gap = rng.uniform(0.05, 1.5)
            for _ in range(size):
                one(t, True)
                t += jittered(rng, gap, 0.5)
            burst_i += 1
        one(t, False)
        t += jittered(rng, interval, jitter)
    background(v, [IMPLANT], t0 - 120, t1 + 60, rng.uniform(5, 30))
    background(v, NEIGHBOURS[:2], t0 - 120, t1 + 60, rng.uniform(10, 60))
    return v


def dm_type(q):
    return {A: "A", AAAA: "AAAA", TXT: "TXT", CNAME: "CNAME", MX: "MX", NULL: "NULL", SRV: "SRV"}[q]


# b. Exfiltration split over many registered domains ---------------------------------------------------
def many_domain_exfil(rng, index, smoke):
    size = rng.randint(3_000, 6_000) if smoke else rng.randint(20_000, 80_000)
    n = rng.randint(5, 8) if smoke else rng.randint(20, 60)
    encoding = rng.choice(["base32", "hex", "base64url"])
    label_len = rng.randint(30, 60)
    labels = rng.randint(1, 3)
    qtype = rng.choice([A, TXT, AAAA, A])
    order = rng.choice(["domain by domain", "interleaved"])
    rate = rng.choice([0.05, 0.2, 1.0, 5.0])
    seq_label = rng.random() < 0.6
    nxdomain = rng.random() < 0.4
    v = Variant(f"exfil-{n}dom-{size // 1000}KB-{encoding}-{label_len}x{labels}",
                f"{size} bytes over {n} domains, {labels} label(s) of ≤{label_len} {encoding}, {dm_type(qtype)}, "
                f"{order}, ~{rate}s apart{', NXDOMAIN answers' if nxdomain else ''}", rng)
    used = set()
    domains = [random_domain(rng, used, ["com", "net", "org", "xyz", "top", "info", "online", "site", "click"])
               for _ in range(n)]
    v.domains.update(domains)
    data = rng.randbytes(size)
    share = -(-size // n)
    chunks_by_domain = []
    per_query = int(label_len * labels * dm.BITS_PER_CHAR[encoding] / 8)
    for d, domain in enumerate(domains):
        part = data[d * share:(d + 1) * share]
        chunks_by_domain.append([(domain, i, part[i:i + per_query]) for i in range(0, len(part), per_query)])
    if order == "domain by domain":
        sequence = [c for chunks in chunks_by_domain for c in chunks]
    else:
        sequence = [c for group in zip(*chunks_by_domain) for c in group]
        longest = max(len(c) for c in chunks_by_domain)
        sequence += [c for chunks in chunks_by_domain for c in chunks[min(len(x) for x in chunks_by_domain):longest]]
    t0 = START + index * 86400
    t = t0 + 30
    for domain, i, chunk in sequence:
        if not chunk:
            continue
        text = dm.split_labels(encode(chunk, encoding), label_len)
        name = f"{i}.{text}.{domain}" if seq_label else f"{text}.{domain}"
        if nxdomain:
            v.capture.exchange(t, IMPLANT, RESOLVER, name, qtype, rcode=NXDOMAIN, payload=len(chunk))
        else:
            v.capture.exchange(t, IMPLANT, RESOLVER, name, qtype, answers=answer_for(rng, qtype, 0, domain=domain),
                               payload=len(chunk))
        t += jittered(rng, rate, 0.5)
    background(v, [IMPLANT], t0, t + 60, rng.uniform(3, 20))
    background(v, NEIGHBOURS[:2], t0, t + 60, rng.uniform(10, 30))
    return v


# c. A made-up TLD per query, sent straight to the server's address ----------------------------------
def fake_tld_direct(rng, index, smoke):
    size = rng.randint(2_000, 4_000) if smoke else rng.randint(10_000, 50_000)
    encoding = rng.choice(["hex", "base32"])
    label_len = rng.randint(20, 60)
    labels = rng.randint(1, 3)
    style = rng.choice(["word", "short", "word.short"])
    qtypes = rng.choice([[TXT], [CNAME], [MX], [A], [TXT, CNAME, MX]])
    rate = rng.choice([0.02, 0.1, 0.5, 1.0])
    server = [198, 19, rng.randrange(1, 255), rng.randrange(1, 255)]
    v = Variant(f"fake-tld-{style}-{encoding}-{size // 1000}KB",
                f"{size} bytes straight to {'.'.join(map(str, server))}, a made-up TLD per query ({style}), "
                f"{labels} label(s) of ≤{label_len} {encoding}, {'+'.join(dm_type(q) for q in qtypes)}", rng)
    v.servers.add(".".join(map(str, server)))

    def tld():
        while True:
            if style == "word":
                s = rng.choice(WORDS) + rng.choice(["", rng.choice(WORDS)])
            elif style == "short":
                s = enc(rng, dm.ALNUM[:26], 1) + enc(rng, dm.ALNUM, rng.randint(1, 3))
            else:
                s = rng.choice(WORDS) + "." + enc(rng, dm.ALNUM[:26], 1) + enc(rng, dm.ALNUM, 2)
            if s.split(".")[-1] not in REAL_TLDS:
                return s

    data = rng.randbytes(size)
    per_query = int(label_len * labels * dm.BITS_PER_CHAR[encoding] / 8) - 4
    t0 = START + index * 86400
    t = t0 + 30
    session = rng.randbytes(2)
    for i in range(0, size, per_query):
        chunk = data[i:i + per_query]
        header = session + struct.pack("!H", (i // per_query) & 0xFFFF)
        name = dm.split_labels(encode(header + chunk, encoding), label_len) + "." + tld()
        qtype = rng.choice(qtypes)
        v.capture.exchange(t, IMPLANT, server, name, qtype, answers=answer_for(rng, qtype, 0, domain=tld()),
                           payload=len(chunk) + 4, rtt=rng.uniform(0.02, 0.15))
        t += jittered(rng, rate, 0.5)
    background(v, [IMPLANT], t0, t + 60, rng.uniform(3, 20))
    return v


# d. Short handshakes -------------------------------------------------------------------------------
IODINE_CASE_PATTERNS = [b"aA-Aaahhh-Drink-mal-ein-J\xe4germeister-",
                        b"aA-La-fl\xfbte-na\xefve-fran\xe7aise-est-retir\xe9-\xe0-Cr\xe8te",
                        b"aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ",
                        b"aA0123456789" + bytes(range(0xBC, 0xFE))]


def iodine_handshake(rng, index, smoke):
    """iodine 0.7 (protocol 0x00000502) from the first query to the first data: qtype probe, version,
    login, IP request, upstream codec (case) checks, codec switch, downstream codec checks, options,
    fragment-size probes, fragment size, then pings; 20-40 queries."""
    qtype = rng.choice([NULL, NULL, TXT, CNAME, MX, SRV, A])
    via = rng.choice(["resolver", "resolver", "direct"])
    domain = random_domain(rng, set(), ["com", "net", "org", "de", "eu", "io"])
    sub = rng.choice(["t", "ns", "dns", "tun", "i", "x"])
    zone = f"{sub}.{domain}"
    server = RESOLVER if via == "resolver" else [198, 19, rng.randrange(1, 255), rng.randrange(1, 255)]
    target = rng.randint(20, 40)
    v = Variant(f"iodine-{dm_type(qtype)}-{via}", f"iodine handshake, {dm_type(qtype)}, zone {zone}, via {via}, "
                f"{target} queries", rng)
    v.domains.add(domain)
    if via == "direct":
        v.servers.add(".".join(map(str, server)))
    cap = v.capture
    t = START + index * 86400 + 30
    cmc = [rng.randrange(1 << 15)]
    userid = rng.randrange(8)
    count = [0]

    def c3():
        cmc[0] = (cmc[0] + 1) & 0x7FFF
        return dm.b32(struct.pack("!H", cmc[0]))[:3]

    def q(label_text, payload, reply=b"", typ=None):
        nonlocal t
        if count[0] >= target:
            return
        count[0] += 1
        typ = typ or qtype
        name = (label_text if isinstance(label_text, bytes) else label_text.encode("latin-1"))
        room = 253 - len(zone) - 1
        name = name[:room - room // 64]  # iodine sizes its queries to the domain: whole name within 253
        name = b".".join(name[i:i + 63] for i in range(0, len(name), 63)) + b"." + zone.encode()
        cap.exchange(t, IMPLANT, server, name, typ, answers=answer_for(rng, typ, 0, data=reply or rng.randbytes(8),
                                                                      domain=zone),
                     payload=payload, rtt=rng.uniform(0.02, 0.2))
        t += rng.uniform(0.05, 1.2)

    autodetect = rng.random() < 0.5
    if autodetect:  # probe types until one passes (NULL first; some networks drop it)
        for probe in [NULL, 65399, TXT, SRV, MX, CNAME, A][:rng.randint(1, 4)]:
            if probe == 65399:
                continue
            q("yt" + "b" + c3(), 3, b"", probe)
    q("v" + dm.b32(struct.pack("!I", 0x00000502) + struct.pack("!H", cmc[0])), 6, b"VACK" + rng.randbytes(5))
    q("l" + dm.b32(bytes([userid]) + rng.randbytes(16) + struct.pack("!H", cmc[0])), 19,
      b"198.19.0.1-198.19.0.2-1130-27")
    if rng.random() < 0.5:
        q("i" + dm.B32[userid] + c3(), 2, b"I" + bytes([198, 19, 7, 7]))
    if rng.random() < 0.6:
        q("y" + rng.choice("rtsuv") + "b" + c3(), 2)  # EDNS0 check
    for pattern in IODINE_CASE_PATTERNS[:rng.choice([2, 4, 4])]:
        q(b"z" + c3().encode() + pattern, len(pattern), pattern)
    codec = rng.choice(["f", "g", "h"])  # 5: base32, 6: base64, 7: base128
    q("s" + dm.B32[userid] + codec + c3(), 2)
    for down in rng.sample(["t", "s", "u", "v", "r"], rng.randint(0, 4)):
        q("y" + down + rng.choice("bcd") + c3(), 2)
    q("o" + dm.B32[userid] + rng.choice("tsuvr") + c3(), 2)
    if rng.random() < 0.7:
        q("o" + dm.B32[userid] + "l" + c3(), 2)
    lo, hi = 100, rng.choice([1200, 1500, 2047])  # binary search for the largest answer that gets through
    for _ in range(rng.randint(4, 10)):
        size = (lo + hi) // 2
        probe = "r" + dm.b32(struct.pack("!H", (userid << 11) | (size & 0x7FF)))[:3]
        filler = "".join(rng.choice(dm.B32) for _ in range(rng.randint(150, 230)))
        q(probe + filler, 2 + len(filler) * 5 // 8, rng.randbytes(min(size, 600)))
        if rng.random() < 0.6:
            lo = size
        else:
            hi = size
    q("n" + dm.b32(bytes([userid]) + struct.pack("!H", lo) + struct.pack("!H", cmc[0])), 5)
    while count[0] < target:  # idle pings (lazy mode keeps one pending) and the first small data packets
        if rng.random() < 0.7:
            q("p" + dm.b32(bytes([userid]) + rng.randbytes(3) + struct.pack("!H", cmc[0]))[:8], 5)
        else:
            data = rng.randbytes(rng.randint(20, 80))
            q("0" + dm.b32(rng.randbytes(2)) + dm.b32(data), len(data) + 2)
    return v


def dnscat2_handshake(rng, index, smoke):
    """dnscat2 from SYN to the first data (protocol.md): SYN, encryption INIT/AUTH (unless
    --no-encryption), then MSG polls about once a second; hex, TXT/CNAME/MX; `dnscat.` prefix straight
    to the server, or a domain through the resolver."""
    mode = rng.choice(["domain", "domain", "direct"])
    encrypted = rng.random() < 0.7
    target = rng.randint(20, 40)
    domain = random_domain(rng, set(), ["com", "net", "org", "info", "xyz"])
    server = RESOLVER if mode == "domain" else [198, 19, rng.randrange(1, 255), rng.randrange(1, 255)]
    qtypes = rng.choice([[TXT, CNAME, MX], [TXT], [CNAME], [MX], [A]])
    v = Variant(f"dnscat2-{mode}-{'enc' if encrypted else 'plain'}",
                f"dnscat2 start, {'domain ' + domain if mode == 'domain' else 'dnscat. prefix to the server'}, "
                f"{'encrypted' if encrypted else 'no encryption'}, {'+'.join(dm_type(x) for x in qtypes)}, "
                f"{target} queries", rng)
    if mode == "domain":
        v.domains.add(domain)
    else:
        v.servers.add(".".join(map(str, server)))
    session = rng.randrange(65536)
    t = START + index * 86400 + 30
    seq = rng.randrange(65536)
    label_size = rng.choice([60, 62, 63])

    def send(packet):
        nonlocal t
        text = dm.split_labels(packet.hex(), label_size)
        name = f"dnscat.{text}" if mode == "direct" else f"{text}.{domain}"
        qtype = rng.choice(qtypes)
        reply = rng.randbytes(2) + packet[2:5] + rng.randbytes(rng.randint(4, 12))
        if qtype == A:
            answers = [(A, 1, bytes([198, 18, i + 1, b])) for i, b in enumerate(reply[:6])]
        else:
            answers = answer_for(rng, qtype, 1, data=reply, domain=domain if mode == "domain" else "dnscat")
        v.capture.exchange(t, IMPLANT, server, name, qtype, answers=answers, payload=len(packet),
                           rtt=rng.uniform(0.02, 0.3))
        t += rng.uniform(0.8, 1.3)

    name = rng.choice([b"", b"console (" + rng.choice(WORDS).encode() + b")", b"cmd.exe"])
    options = 0x01 if name else 0x00
    send(rng.randbytes(2) + b"\x00" + struct.pack("!HHH", session, seq, options) + (name + b"\0" if name else b""))
    sent = 1
    if encrypted:
        send(rng.randbytes(2) + b"\x03" + struct.pack("!HHH", session, 0, 0) + rng.randbytes(64))  # ENC INIT
        send(rng.randbytes(2) + b"\x03" + struct.pack("!HHH", session, 1, 0) + rng.randbytes(32))  # ENC AUTH
        sent = 3
    ack = rng.randrange(65536)
    while sent < target:
        data = rng.randbytes(rng.randint(10, 60)) if rng.random() < 0.15 else b""
        body = struct.pack("!HH", seq, ack) + data
        if encrypted:
            body = rng.randbytes(2) + rng.randbytes(6) + rng.randbytes(len(body))  # nonce, signature, ciphertext
        send(rng.randbytes(2) + b"\x01" + struct.pack("!H", session) + body)
        seq = (seq + len(data)) & 0xFFFF
        sent += 1
    background(v, [IMPLANT], START + index * 86400, t + 30, rng.uniform(3, 15))
    return v


def c2_checkin(rng, index, smoke):
    """A generic implant's first contact: a few A queries with a short hex id, then TXT for a task."""
    domain = random_domain(rng, set(), ["com", "net", "org", "io", "xyz", "info"])
    sub = rng.choice(["", "", "ns1.", "cdn.", "api.", "upd."])
    idlen = rng.choice([4, 6, 8])
    implants = rng.randint(1, 3)
    rounds = rng.randint(1, 3)
    search = pod_search(rng)
    v = Variant(f"checkin-{idlen}hex-{implants}impl-{rounds}r{'-pod' if search else ''}", f"C2 check-in under "
                f"{sub}{domain}, {idlen}-hex ids, {implants} implant(s), {rounds} round(s)"
                f"{', in a pod (ndots:5 search list)' if search else ''}", rng)
    v.domains.add(domain)
    t = START + index * 86400 + 30
    for implant in range(implants):
        client = [198, 18, 1, 10 + implant * 10]
        ident = enc(rng, dm.HEX, idlen)
        tt = t + rng.uniform(0, 600)
        for _ in range(rounds):
            for _ in range(rng.randint(2, 5)):
                name = f"{enc(rng, dm.HEX, rng.choice([2, 4]))}.{ident}.{sub}{domain}" if rng.random() < 0.5 \
                    else f"{ident}{enc(rng, dm.HEX, 2)}.{sub}{domain}"
                body = "".join(name[:-len(sub + domain) - 1].split("."))
                lookup(v, tt, client, name, A, search, len(body) // 2, answers=a_answer(rng, rng.choice([0, 1, 60])))
                tt += rng.uniform(1, 20)
            name = f"{enc(rng, dm.HEX, 4)}.{ident}.{sub}{domain}"
            v.capture.exchange(tt, client, RESOLVER, name, TXT,
                               answers=[(TXT, 1, dm.rdata_txt(dm.b64url(rng.randbytes(rng.randint(8, 90)))))],
                               payload=(4 + idlen) // 2)
            tt += rng.uniform(20, 120)
        background(v, [client], t - 60, tt + 60, rng.uniform(3, 15))
    return v


# e. Beacons ------------------------------------------------------------------------------------------
def cobalt_strike_beacon(rng, index, smoke):
    """Cobalt Strike DNS beacon (default Malleable profile shapes): `<id>.<host>` A every `sleep` s with
    jitter (CS subtracts up to jitter% of the sleep), idle answer 0.0.0.0 or a fixed address, metadata via
    `www.`, tasks via TXT `api.`, output via `post.`; TTL 1."""
    domain = random_domain(rng, set(), ["com", "net", "org", "info", "us", "co"])
    host = rng.choice(["", "ns1.", "dns.", "cdn.", "wallet.", "a."]) + domain
    sleep = rng.choice([60, 60, 60, 30, 45, 90, 120])
    jitter = rng.choice([0.1, 0.2, 0.3])
    hours = 2.0 if smoke else rng.uniform(2, 8)
    idle = rng.choice([bytes(4), bytes([198, 18, 9, 1]), bytes([198, 18, 200, 2])])
    beacon_id = rng.randrange(1 << 31)
    ident = f"{beacon_id:x}"
    v = Variant(f"cs-{sleep}s-j{int(jitter * 100)}-{hours:.1f}h",
                f"Cobalt Strike DNS beacon {ident}.{host} every {sleep}s -{int(jitter * 100)}%, idle "
                f"{'.'.join(map(str, idle))}, {hours:.1f} h, tasks via TXT api.", rng)
    v.domains.add(domain)
    cap = v.capture
    t0 = START + index * 86400
    t, t1 = t0 + 60, t0 + 60 + hours * 3600
    next_task = t + rng.uniform(300, 3600)

    def chunks(data, prefix):
        nonlocal t
        text = data.hex()
        per = rng.choice([56, 62])
        for i in range(0, len(text), per * 3):
            part = text[i:i + per * 3]
            labels = dm.split_labels(part, per)
            nonce = f"{rng.randrange(1 << 28):x}"
            name = f"{prefix}{len(part) // 2:x}{i // (per * 3):x}.{labels}.{nonce}{ident}.{host}"
            cap.exchange(t, IMPLANT, RESOLVER, name, A, answers=[(A, 1, idle)], payload=len(part) // 2 + 8)
            t += rng.uniform(0.05, 0.5)

    chunks(rng.randbytes(rng.randint(110, 140)), "www.")  # encrypted metadata at first check-in
    while t < t1:
        tasked = t >= next_task
        reply = bytes([198, 18, 0, rng.choice([241, 242, 243])]) if tasked else idle
        cap.exchange(t, IMPLANT, RESOLVER, f"{ident}.{host}", A, answers=[(A, 1, reply)], payload=4)
        if tasked:
            t += rng.uniform(0.1, 1)
            task = rng.randint(100, 400 if smoke else 6000)
            for _ in range(-(-task // 189)):  # tasks come back base64 in TXT, 255 characters a record
                nonce = f"{rng.randrange(1 << 28):x}"
                cap.exchange(t, IMPLANT, RESOLVER, f"api.{nonce}{ident}.{host}", TXT,
                             answers=[(TXT, 1, dm.rdata_txt(dm.b64url(rng.randbytes(189))))], payload=8)
                t += rng.uniform(0.05, 0.5)
            chunks(rng.randbytes(rng.randint(40, 300 if smoke else 3000)), "post.")
            next_task = t + rng.uniform(900, 5400)
        t += sleep * (1 - rng.uniform(0, jitter))
    background(v, [IMPLANT], t0, t1 + 60, rng.uniform(10, 60))
    background(v, NEIGHBOURS[:2], t0, t1 + 60, rng.uniform(20, 90))
    return v


def sliver_beacon(rng, index, smoke):
    """Sliver-like DNS beacon: each message a base32 protobuf (id, type, start/stop, size, data) split into
    labels under the parent domain; A queries to poll and send, TXT to fetch; interval + up to `jitter`
    seconds added; TTL 0."""
    domain = random_domain(rng, set(), ["com", "net", "org", "io", "dev", "app"])
    parent = rng.choice(["", "c2.", "a.", "dns."]) + domain
    interval = rng.choice([30, 60, 60, 120, 300])
    jitter = rng.choice([5, 10, 30])
    hours = 2.0 if smoke else rng.uniform(2, 6)
    v = Variant(f"sliver-{interval}s+{jitter}-{hours:.1f}h", f"Sliver-like beacon to {parent}, every "
                f"{interval}s + 0-{jitter}s, {hours:.1f} h", rng)
    v.domains.add(domain)
    t0 = START + index * 86400
    t, t1 = t0 + 60, t0 + 60 + hours * 3600
    msg_id = rng.randrange(1 << 30)

    def msg(t, body, qtype=A):
        nonlocal msg_id
        msg_id += 1
        raw = struct.pack("!IB", msg_id, rng.randrange(1, 8)) + body
        name = dm.split_labels(dm.b32(raw), 63) + "." + parent
        v.capture.exchange(t, IMPLANT, RESOLVER, name, qtype, answers=answer_for(rng, qtype, 0, domain=parent),
                           payload=len(raw))

    msg(t, rng.randbytes(32))  # key exchange / init
    t += 1
    while t < t1:
        msg(t, rng.randbytes(rng.randint(4, 12)))
        if rng.random() < 0.05:
            for _ in range(rng.randint(2, 20)):
                t += rng.uniform(0.05, 0.4)
                msg(t, rng.randbytes(rng.randint(4, 8)), TXT)
            for _ in range(rng.randint(1, 12)):
                t += rng.uniform(0.05, 0.4)
                msg(t, rng.randbytes(rng.randint(20, 30)))
        t += interval + rng.uniform(0, jitter)
    background(v, [IMPLANT], t0, t1 + 60, rng.uniform(10, 60))
    return v


# f. Regression families ------------------------------------------------------------------------------
def dnsexfiltrator(rng, index, smoke):
    """DNSExfiltrator-style: `init.<b32(name|chunks)>.base64.<domain>`, then `<n>.<base64url labels>.<domain>`
    TXT, the server answering "OK"."""
    domain = random_domain(rng, set(), ["com", "net", "org", "io", "xyz"])
    size = rng.randint(2_000, 4_000) if smoke else rng.randint(5_000, 50_000)
    encoding = rng.choice(["base64url", "base64url", "base32"])
    delay = rng.choice([0.0, 0.1, 0.5, 1.0])
    v = Variant(f"dnsexfiltrator-{encoding}-{size // 1000}KB", f"DNSExfiltrator-style {size} bytes, {encoding}, "
                f"to {domain}, {delay}s between", rng)
    v.domains.add(domain)
    t0 = START + index * 86400
    t = t0 + 10
    per = int((250 - len(domain) - 10) * 63 / 64 * dm.BITS_PER_CHAR[encoding] / 8)
    n = -(-size // per)
    fname = rng.choice(["passwords.zip", "id_rsa", "backup.tar.gz", ".env", "credentials.json"])
    init = f"{fname}|{n}".encode()
    v.capture.exchange(t, IMPLANT, RESOLVER, f"init.{dm.b32(init)}.{'base64' if encoding != 'base32' else 'base32'}.{domain}",
                       TXT, answers=[(TXT, 0, dm.rdata_txt("OK"))], payload=len(init))
    data = rng.randbytes(size)
    for i in range(n):
        chunk = data[i * per:(i + 1) * per]
        t += 0.05 + delay * rng.uniform(0.8, 1.2)
        v.capture.exchange(t, IMPLANT, RESOLVER, f"{i}.{dm.split_labels(encode(chunk, encoding), 63)}.{domain}", TXT,
                           answers=[(TXT, 0, dm.rdata_txt("OK"))], payload=len(chunk))
    background(v, [IMPLANT], t0, t + 60, rng.uniform(3, 20))
    return v


def low_and_slow(rng, index, smoke):
    """One 40-byte chunk every few minutes for hours, hex or base32, A queries."""
    domain = random_domain(rng, set(), ["com", "net", "org", "io"])
    every = rng.choice([120, 180, 300, 600])
    hours = 3.0 if smoke else rng.uniform(4, 12)
    encoding = rng.choice(["hex", "base32"])
    search = pod_search(rng)
    v = Variant(f"slow-{every}s-{encoding}-{hours:.0f}h{'-pod' if search else ''}", f"40-byte chunks every {every}s "
                f"±30% for {hours:.1f} h, {encoding}, to {domain}{', in a pod (ndots:5 search list)' if search else ''}", rng)
    v.domains.add(domain)
    t0 = START + index * 86400
    t, t1 = t0 + 60, t0 + 60 + hours * 3600
    i = 0
    while t < t1:
        chunk = rng.randbytes(40)
        text = encode(chunk, encoding)
        name = f"{dm.split_labels(text, rng.choice([40, 63]))}.{i:x}.{domain}"
        lookup(v, t, IMPLANT, name, A, search, 40, answers=a_answer(rng, 60))
        i += 1
        t += jittered(rng, every, 0.3)
    background(v, [IMPLANT], t0, t1 + 60, rng.uniform(10, 60))
    return v


def word_encoding(rng, index, smoke):
    """Data as dictionary words: each byte picks one of 256 words (PGP-word-list style), several words a
    name, joined or one per label."""
    domain = random_domain(rng, set(), ["com", "net", "org", "io"])
    size = rng.randint(500, 1_500) if smoke else rng.randint(2_000, 10_000)
    words = rng.sample(WORDS, 256)
    per = rng.randint(4, 12)
    joiner = rng.choice(["", "-", "."])
    rate = rng.choice([0.1, 0.5, 2.0])
    search = pod_search(rng)
    v = Variant(f"words-{per}w-{ {'.': 'labels', '-': 'hyphens', '': 'joined'}[joiner]}-{size // 1000}KB",
                f"{size} bytes as words, {per} a name, joined by {joiner!r}, to {domain}"
                f"{', in a pod (ndots:5 search list)' if search else ''}", rng)
    v.domains.add(domain)
    t0 = START + index * 86400
    t = t0 + 10
    data = rng.randbytes(size)
    for i in range(0, size, per):
        chunk = data[i:i + per]
        text = joiner.join(words[b] for b in chunk)
        if joiner != ".":
            text = dm.split_labels(text, 63)
        qtype = rng.choice([A, TXT])
        lookup(v, t, IMPLANT, f"{text}.{domain}", qtype, search if qtype == A else None, len(chunk),
               answers=a_answer(rng, 30) if qtype == A else [(TXT, 30, dm.rdata_txt("ok"))])
        t += jittered(rng, rate, 0.5)
    background(v, [IMPLANT], t0, t + 60, rng.uniform(3, 20))
    return v


TECHNIQUES = [
    ("round-robin-c2", "a. multi-domain round-robin C2 (RogueRobin, DNSpionage, Saitama)", round_robin_c2, 6),
    ("many-domain-exfil", "b. exfiltration split over many registered domains", many_domain_exfil, 4),
    ("fake-tld-direct", "c. a made-up TLD per query, straight to the server", fake_tld_direct, 4),
    ("iodine-handshake", "d. iodine handshake, 20-40 queries", iodine_handshake, 5),
    ("dnscat2-handshake", "d. dnscat2 SYN/ENC/first polls, 20-40 queries", dnscat2_handshake, 5),
    ("c2-checkin", "d. generic C2 check-in (short hex ids, then TXT)", c2_checkin, 4),
    ("cobalt-strike-beacon", "e. Cobalt Strike-style DNS beacon", cobalt_strike_beacon, 4),
    ("sliver-beacon", "e. Sliver-like DNS beacon", sliver_beacon, 3),
    ("dnsexfiltrator", "f. DNSExfiltrator-style burst (regression)", dnsexfiltrator, 3),
    ("low-and-slow", "f. low-and-slow exfiltration (regression)", low_and_slow, 3),
    ("word-encoding", "f. word-list encoding (regression)", word_encoding, 3),
]


def parse_time(s):
    """A replay record's ISO time as integer µs since the epoch."""
    whole, _, frac = s.rstrip("Z").partition(".")
    seconds = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(seconds.timestamp()) * 1_000_000 + int((frac + "000000")[:6])


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for x in value.values():
            yield from strings_in(x)
    elif isinstance(value, list):
        for x in value:
            yield from strings_in(x)


def judge(airlock, path, variant):
    """Replays one capture; returns the first detecting record (kind, time µs, rule), suspicious-name
    count on the technique, and the background groups that were convicted."""
    keys = variant.domains | variant.servers
    first = None
    suspicious = 0
    other = {}
    proc = subprocess.Popen([airlock, "replay", "--jsonl", path], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if '"verdict":null' in line or '"verdict"' not in line:
            continue
        r = json.loads(line)
        verdict = r.get("verdict")
        if not verdict:
            continue
        mine = r.get("domain") in keys or any(s in keys for s in strings_in(r))
        if not mine:
            if verdict != "suspicious-name":
                other.setdefault((verdict, r.get("domain")), 0)
                other[(verdict, r.get("domain"))] += 1
            continue
        if verdict == "suspicious-name":
            suspicious += 1
        elif first is None:
            first = (verdict, parse_time(r["time"]), r.get("rule"), r.get("domain"))
    if proc.wait() != 0:
        raise SystemExit(f"airlock replay failed on {path} (exit {proc.returncode})")
    return first, suspicious, other


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.path.join(ROOT, ".build", "release", "airlock")
    if not os.path.exists(default):
        default = os.path.join(ROOT, ".build", "debug", "airlock")
    ap.add_argument("--airlock", default=default)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--smoke", action="store_true", help="one small variant of each technique")
    ap.add_argument("--only", help="comma-separated technique keys")
    ap.add_argument("--variants", type=int, help="variants per technique (default: each technique's own count)")
    ap.add_argument("--keep", help="write the pcaps here and keep them")
    ap.add_argument("--no-fail", action="store_true", help="print only; exit 0 even on misses")
    ap.add_argument("--verbose", "-v", action="store_true", help="one line per variant")
    args = ap.parse_args()
    if not os.path.exists(args.airlock):
        raise SystemExit(f"no airlock binary at {args.airlock} (build it or pass --airlock)")
    work = args.keep or tempfile.mkdtemp(prefix="airlock-techniques.")
    os.makedirs(work, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    started = clock.time()
    rows = []
    failures = []
    print(f"airlock: {args.airlock}   seed {args.seed}{'   smoke' if args.smoke else ''}")
    for key, title, builder, count in TECHNIQUES:
        if only and key not in only:
            continue
        results = []
        for i in range(args.variants or (1 if args.smoke else count)):
            rng = random.Random(f"{args.seed}:{key}:{i}")
            v = builder(rng, i, args.smoke)
            path = os.path.join(work, f"{key}-{i}-{v.name}.pcap")
            v.capture.write(path)
            first, suspicious, other = judge(args.airlock, path, v)
            queries = sorted(v.capture.technique)
            total_q, total_p = len(queries), sum(p for _, p, _ in queries)
            if first:
                before = [p for t, p, _ in queries if t < first[1]]
                leak_q, leak_p = len(before), sum(before)
            else:
                leak_q, leak_p = total_q, total_p
            results.append((v, first, suspicious, other, leak_q, leak_p, total_q, total_p))
            if not first:
                failures.append(f"{key}/{v.name}: missed")
            elif leak_p >= LEAK_LIMIT:
                failures.append(f"{key}/{v.name}: {leak_p} payload bytes before detection")
            for verdict, domain in other:
                failures.append(f"{key}/{v.name}: false {verdict} verdict on background {domain}")
            if args.verbose:
                what = f"{first[0]} ({first[2]}) on {first[3]}" if first else "MISSED"
                print(f"  {key:20} {v.name:34} {what:48} before: {leak_q:>5} q {leak_p:>7} B  of {total_q} q "
                      f"{total_p} B  susp {suspicious}  {'; '.join(f'{k[0]} {k[1]}' for k in other) or ''}")
                print(f"      {v.description}")
            if not args.keep:
                os.unlink(path)
        rows.append((key, title, results))

    print()
    print(f"{'technique':22} {'detected':>9} {'kinds':22} {'q before (med/max)':>19} {'payload before (med/max)':>25} "
          f"{'total q':>8} {'total B':>9} {'susp-name':>9}  background flagged")
    for key, title, results in rows:
        det = [r for r in results if r[1]]
        kinds = sorted({r[1][0] for r in det})
        lq = [r[4] for r in results]
        lp = [r[5] for r in results]
        bg = sorted({f"{k[0]}:{k[1]}" for r in results for k in r[3]})
        print(f"{key:22} {len(det):>4}/{len(results):<4} {','.join(kinds) or '-':22} "
              f"{statistics.median(lq):>9.0f}/{max(lq):<9} {statistics.median(lp):>12.0f}/{max(lp):<12} "
              f"{sum(r[6] for r in results):>8} {sum(r[7] for r in results):>9} {sum(r[2] for r in results):>9}  "
              f"{', '.join(bg[:4]) + (' …' if len(bg) > 4 else '') if bg else '-'}")
    print()
    print("before = technique queries / payload bytes that left before the first detecting record "
          "(all of them when missed)")
    if failures:
        print(f"{len(failures)} failure(s) (missed, ≥ {LEAK_LIMIT} B before detection, or background convicted):")
        for f in failures:
            print("  " + f)
    else:
        print(f"every variant detected before {LEAK_LIMIT} B of payload left")
    print(f"elapsed {clock.time() - started:.0f} s")
    if not args.keep:
        try:
            os.rmdir(work)
        except OSError:
            pass
    return 1 if failures and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
