#!/usr/bin/env python3
"""A simulated 24-hour day of a fleet of AI-agent pods' DNS, replayed through Airlock: false alarms.

The fleet (default 64 pods in four clusters: EKS, AKS, on premises, plus node daemons, a mail/DNSBL host and a file scanner)
asks a cluster resolver for what agents really resolve, built from the name formats real software uses:
Kubernetes `ndots:5` search-list expansion (each external name first tried under `<ns>.svc.cluster.local`,
`svc.cluster.local`, `cluster.local` and the node's cloud suffix — or, on premises, the company's own public domain — NXDOMAIN,
then the real name; A and
AAAA in parallel as glibc, musl and Go do; A alone where the pod has no IPv6 address and the library asks
with AI_ADDRCONFIG, as Node does, and from headless Chrome, which adds the HTTPS record), in-cluster services, LLM APIs, pip/npm/apt/git, CDNs, cloud SDK endpoints and
telemetry (S3 and CDK bootstrap buckets, Lambda function URLs, Log Analytics workspace GUIDs), headless
browsing with ad-tech (a fresh 32-hex SafeFrame label per ad slot), PTR lookups, DNSBL and Spamhaus HBL
hash lookups, malware-hash lookups, connectivity checks, NTP. Load follows the day (busy afternoons,
quiet nights). Nothing here is tuned to Airlock's thresholds.

Writes one pcap (about 1.1 M queries, ~330 MB with --queries default; `--keep` to keep it), replays it
with `airlock replay --jsonl`, and prints verdicts by kind with the domains and clients flagged, and
suspicious-name verdicts per million queries. Exit 1 on any verdict other than suspicious-name (tunnel,
campaign, beacon, ...).

    python3 Tools/benign-day.py [--airlock PATH] [--smoke] [--pods N] [--seed N] [--keep FILE] [--pcap FILE]

Every address is in 198.18.0.0/15 (2001:db8::/32 in AAAA answers); nothing is sent anywhere.
"""
import argparse
import collections
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time as clock
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsmessages as dm  # noqa: E402
from dnsmessages import A, AAAA, CNAME, HTTPS, MX, NXDOMAIN, PTR, SOA, TXT  # noqa: E402
from pcapframes import PCAP_HEADER, record, udp_frame  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAY = 1_767_312_000.0  # 2026-01-02T00:00:00Z

WORDS = """acme atlas beacon bolt cedar cobalt comet coral delta ember falcon fern forge gamma harbor helix
indigo iris jade juniper kite lagoon lumen maple meadow mesa nova onyx orbit otter pine pixel prism quartz
raven ridge river sage sierra solar spruce summit tango terra tidal topaz umber vega willow zenith alpha
bravo charlie echo foxtrot hotel kilo lima metro nimbus oasis polar quill rocket saturn tundra vertex""".split()
DICT = """data model agent tools search build cache queue store index graph vector stream batch train eval
deploy report docs guide api sdk cli web app blog news learn code test bench paper notes review""".split()
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]


def stable(name, salt=""):
    return int.from_bytes(hashlib.blake2b((salt + name).encode(), digest_size=8).digest(), "big")


def addr_for(name, pool=None):
    """The same answer address for the same name; CDN names share a small pool (many names, few edges)."""
    h = stable(name if pool is None else f"{pool}:{stable(name) % 24}")
    return bytes([198, 18 + (h >> 40) % 2, 32 + (h >> 8) % 224, 1 + h % 254])


def addr6_for(name, pool=None):
    h = stable(name if pool is None else f"{pool}:{stable(name) % 24}", "6")
    return bytes([0x20, 0x01, 0x0D, 0xB8]) + h.to_bytes(8, "big") + bytes(3) + bytes([1 + h % 250])


class Zone:
    """What the upstream says about a name: CNAME chain target, address pool, TTL, whether it has AAAA,
    whether it exists."""

    def __init__(self, ttl=300, pool=None, cname=None, v6=True, exists=True, txt=None):
        self.ttl, self.pool, self.cname, self.v6, self.exists, self.txt = ttl, pool, cname, v6, exists, txt


# The on-premises cluster's search suffixes (the company's public domain) and its few real hosts there.
ONPREM_SEARCH = ("dc1.acme-robotics.com", "acme-robotics.com")
ONPREM_HOSTS = ("git", "registry", "vault", "ldap", "proxy")


def classify(name):
    """Answer policy for a public name (a few suffix rules, as the real zones behave)."""
    if name.endswith(".cloudfront.net"):
        return Zone(60, "cloudfront")
    if name.endswith(".akamaiedge.net") or name.endswith(".akamai.net") or name.endswith(".akamaized.net"):
        return Zone(20, "akamai")
    if name.endswith(".fastly.net") or name in ("pypi.org", "files.pythonhosted.org"):
        cname = "dualstack.python.map.fastly.net" if name == "files.pythonhosted.org" else None
        return Zone(60, "fastly", cname=cname)
    if name in ("deb.debian.org", "security.debian.org"):
        return Zone(300, "fastly", cname="debian.map.fastly.net")
    if name.endswith(".azurefd.net"):
        return Zone(60, "azurefd", cname="star-azurefd-prod.trafficmanager.net")
    if name.endswith(".googlesyndication.com") or name.endswith(".doubleclick.net") or name.endswith(".gstatic.com") \
            or name.endswith(".googleapis.com") or name.endswith(".google.com") or name.endswith(".googletagmanager.com"):
        return Zone(300, "google")
    if ".s3." in name and name.endswith(".amazonaws.com"):
        return Zone(5, "s3", cname=None, v6=".dualstack." in name)
    if name.endswith(".amazonaws.com") or name.endswith(".on.aws"):
        return Zone(60, "aws", v6=False)
    if name.startswith("www.") and stable(name, "cdn") % 4 == 0:
        return Zone(300, "akamai", cname=f"e{stable(name) % 99999}.{['dscx', 'dscb', 'dsca', 'b'][stable(name, 'd') % 4]}.akamaiedge.net")
    if name.startswith("docs.") and stable(name, "cdn") % 3 == 0:
        return Zone(300, "fastly", cname=f"{name.split('.')[1]}.map.fastly.net")
    if name.endswith(".opinsights.azure.com") or name.endswith(".azure.com") or name.endswith(".windows.net"):
        return Zone(300, "azure", cname="ods-prod.trafficmanager.net" if "opinsights" in name else None, v6=False)
    if name.endswith(".github.com") or name == "github.com" or name.endswith(".githubusercontent.com"):
        return Zone(60, "github", v6=False)
    if name.endswith(".ntp.org"):
        return Zone(150, "ntp")
    return Zone(300)


class Writer:
    """One hour of packets at a time, sorted, then written (the generator works hour by hour)."""

    def __init__(self, path, rng):
        self.f = open(path, "wb")
        self.f.write(PCAP_HEADER)
        self.rng = rng
        self.buf = []
        self.queries = 0
        self.zones = {}

    def flush(self):
        self.buf.sort(key=lambda p: p[0])
        f = self.f
        for t, frame in self.buf:
            f.write(record(t // 1_000_000, t % 1_000_000, frame))
        self.buf = []

    def close(self):
        self.flush()
        self.f.close()

    def exchange(self, t, client, server, name, qtype, rcode, answers, authority, rtt):
        qid = self.rng.getrandbits(16)
        sport = 1024 + self.rng.getrandbits(16) % 64000
        w = dm.wire(name)
        us = int(t * 1e6)
        self.queries += 1
        self.buf.append((us, udp_frame(client, server, sport, 53, dm.message(qid, w, qtype, 0x0100))))
        reply = dm.message(qid, w, qtype, 0x8180 | rcode, answers, authority)
        self.buf.append((us + max(1, int(rtt * 1e6)), udp_frame(server, client, 53, sport, reply)))


CLUSTER_SOA = [(dm.wire("cluster.local"), SOA, 5, dm.rdata_soa("ns.dns.cluster.local", "hostmaster.cluster.local", 1767312000, 5))]


def public_answer(name, qtype, zone):
    """Answer records for a public name that exists."""
    answers = []
    owner = None
    if zone.cname:
        answers.append((CNAME, zone.ttl, dm.wire(zone.cname)))
        owner = dm.wire(zone.cname)
    if qtype == A:
        n = 1 + stable(name, "n") % 4 if zone.pool else 1
        for i in range(n):
            rdata = addr_for(f"{name}#{i}", zone.pool)
            answers.append((A, zone.ttl, rdata) if owner is None else (owner, A, zone.ttl, rdata))
    elif qtype == AAAA and zone.v6:
        rdata = addr6_for(name, zone.pool)
        answers.append((AAAA, zone.ttl, rdata) if owner is None else (owner, AAAA, zone.ttl, rdata))
    elif qtype == TXT:
        answers.append((TXT, zone.ttl, dm.rdata_txt(zone.txt or "v=spf1 include:_spf.example.net ~all")))
    elif qtype == HTTPS and zone.pool in ("google", "fastly", None) and stable(name, "h") % 3 == 0:
        alpn = b"\x02h3\x02h2"
        rdata = b"\x00\x01\x00" + b"\x00\x01" + len(alpn).to_bytes(2, "big") + alpn
        answers.append((HTTPS, zone.ttl, rdata) if owner is None else (owner, HTTPS, zone.ttl, rdata))
    elif qtype == MX:
        answers.append((MX, zone.ttl, dm.rdata_mx(10, "mx." + ".".join(name.split(".")[-2:]))))
    return answers


def soa_for(name):
    parts = name.split(".")
    apex = ".".join(parts[-2:]) if len(parts) >= 2 else name
    return [(dm.wire(apex), SOA, 300, dm.rdata_soa("ns1." + apex, "hostmaster." + apex, 2026010201, 300))]


class Client:
    """One pod or host: its address, namespace, search list, ndots, and whether it asks AAAA."""

    def __init__(self, ip, resolver, search, ndots, v6_share, namespace):
        self.ip, self.resolver, self.search, self.ndots, self.v6_share, self.ns = ip, resolver, search, ndots, v6_share, namespace


class Fleet:
    def __init__(self, rng, writer, pods):
        self.rng = rng
        self.w = writer
        self.services = ["redis", "postgres", "qdrant", "otel-collector", "vector", "prometheus", "minio",
                         "agent-gateway", "tool-runner", "sandbox-api", "embeddings", "reranker", "vllm",
                         "litellm", "temporal-frontend", "nats", "kafka-bootstrap", "memcached", "keycloak"]
        clusters = [
            ("eks-prod", [198, 18, 0, 10], ["us-west-2.compute.internal"], "us-west-2"),
            ("eks-east", [198, 18, 0, 11], ["ec2.internal"], "us-east-1"),
            ("aks-eu", [198, 18, 0, 12], [f"{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(26))}"
                                          ".ax.internal.cloudapp.net"], "eu-west-1"),
            # On premises: the nodes' DHCP search list is the company's own public domain, so every name
            # a pod resolves is first tried under it (NXDOMAIN from the company's zone), odd ones included.
            ("onprem", [198, 18, 0, 13], list(ONPREM_SEARCH), "us-east-1"),
        ]
        self.clusters = clusters
        namespaces = ["agents", "agents-research", "agents-coding", "browser-agents", "eval", "default"]
        self.pods = []
        for i in range(pods):
            cname, resolver, cloud, region = clusters[i % len(clusters)]
            ns = rng.choice(namespaces)
            search = [f"{ns}.svc.cluster.local", "svc.cluster.local", "cluster.local"] + cloud
            ndots = 5 if rng.random() < 0.85 else 2
            # Share of lookups asking AAAA too: Python (socket, httpx, urllib3 with ::1 present), Go and curl
            # ask both; Node (ADDRCONFIG) and Chrome on an IPv4-only pod ask A alone (set per activity below).
            v6 = rng.choice([0.5, 0.7, 0.9, 1.0])
            ip = [198, 18, 64 + i // 200, 10 + i % 200]
            p = Client(ip, resolver, search, ndots, v6, ns)
            p.region = region
            p.cluster = cname
            p.kind = rng.choices(["coder", "researcher", "browser", "data"], [4, 3, 2, 2])[0]
            p.llm = rng.choice(["api.openai.com", "api.anthropic.com", "api.anthropic.com",
                                "generativelanguage.googleapis.com", f"bedrock-runtime.{region}.amazonaws.com"])
            p.activity = rng.uniform(0.5, 1.6)
            self.pods.append(p)
        # Nodes (hostNetwork daemons: image pulls, NTP, monitoring agents) use the node's resolv.conf.
        self.nodes = []
        for c, (cname, resolver, cloud, region) in enumerate(clusters):
            for n in range(6):
                node = Client([198, 18, 2, 10 + c * 20 + n], [198, 18, 0, 2 + c], cloud, 1, 0.0, None)
                node.region, node.cluster = region, cname
                self.nodes.append(node)
        self.mail = Client([198, 18, 3, 25], [198, 18, 0, 10], [], 1, 1.0, None)
        self.scanner = Client([198, 18, 3, 30], [198, 18, 0, 10], ["agents.svc.cluster.local", "svc.cluster.local",
                                                                  "cluster.local", "us-west-2.compute.internal"], 5, 0.0, "agents")
        # Fleet-wide identifiers: a few of each, used again and again (as real deployments do).
        alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
        self.workspaces = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]
        self.accounts = [f"{rng.randrange(10**11, 10**12)}" for _ in range(6)]
        self.cdk = [f"cdk-{rng.choice(['hnb659fds', 'hnb659fds', ''.join(rng.choice(alnum) for _ in range(9))])}-assets-"
                    f"{rng.choice(self.accounts)}-{r}.s3.{r}.amazonaws.com" for r in rng.sample(REGIONS, 4)]
        self.lambda_urls = [f"{''.join(rng.choice(alnum) for _ in range(32))}.lambda-url.{rng.choice(REGIONS)}.on.aws"
                            for _ in range(14)]
        self.apigw = [f"{''.join(rng.choice(alnum) for _ in range(10))}.execute-api.{rng.choice(REGIONS)}.amazonaws.com"
                      for _ in range(8)]
        self.buckets = [f"{rng.choice(WORDS)}-{rng.choice(DICT)}-{rng.choice(['prod', 'dev', 'artifacts', 'datasets', 'logs'])}"
                        f"{rng.choice(['', '-' + str(rng.randrange(10**7, 10**8))])}" for _ in range(40)]
        self.cloudfront = [f"d{''.join(rng.choice(alnum) for _ in range(13))}.cloudfront.net" for _ in range(400)]
        self.azurefd = [f"{rng.choice(WORDS)}-{''.join(rng.choice(alnum) for _ in range(16))}.z01.azurefd.net"
                        for _ in range(60)]
        self.sentry = [f"o{rng.randrange(10**5, 10**7)}.ingest.{rng.choice(['', 'us.', 'de.'])}sentry.io" for _ in range(5)]
        self.sites = [self.site_name() for _ in range(3000)]
        self.dqs_key = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(26))
        self.counts = collections.Counter()

    def site_name(self):
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            return f"www.{rng.choice(WORDS)}{rng.choice(['', '-'])}{rng.choice(DICT)}.{rng.choice(['com', 'io', 'org', 'dev', 'ai', 'net', 'co.uk', 'de'])}"
        if r < 0.5:
            return f"docs.{rng.choice(WORDS)}{rng.choice(DICT)}.{rng.choice(['com', 'io', 'dev', 'org'])}"
        if r < 0.6:
            return f"{rng.choice(WORDS)}-{rng.choice(DICT)}.readthedocs.io"
        if r < 0.7:
            return f"{rng.choice(WORDS)}{rng.randrange(1, 999)}.github.io"
        if r < 0.8:
            return f"{rng.choice(DICT)}.{rng.choice(WORDS)}.{rng.choice(['com', 'org', 'ai'])}"
        return rng.choice(["en.wikipedia.org", "stackoverflow.com", "arxiv.org", "medium.com", "news.ycombinator.com",
                           "www.reddit.com", "dev.to", "pkg.go.dev", "docs.python.org", "developer.mozilla.org",
                           "learn.microsoft.com", "docs.aws.amazon.com", "cloud.google.com", "www.npmjs.com",
                           "huggingface.co", "www.kaggle.com", "paperswithcode.com", "www.bbc.co.uk", "www.nytimes.com"])

    # One getaddrinfo(): search-list expansion, A and AAAA in parallel where the client asks both.
    def resolve(self, t, c, name, both=None, qtypes=None, https=False):
        rng = self.rng
        if qtypes is None:
            both = (rng.random() < c.v6_share) if both is None else both
            qtypes = (A, AAAA) if both else (A,)
            if https:  # Chrome's own resolver asks for the HTTPS record with the addresses
                qtypes += (HTTPS,)
        absolute = name.endswith(".")
        name = name.rstrip(".")
        candidates = []
        if absolute or not c.search:
            candidates = [name]
        elif name.count(".") >= c.ndots:
            candidates = [name] + [f"{name}.{s}" for s in c.search]
        else:
            candidates = [f"{name}.{s}" for s in c.search] + [name]
        for cand in candidates:
            rtt_max = 0
            found = self.exists(cand, c)
            for k, qtype in enumerate(qtypes):
                rtt = self.answer(t + 0.00005 * k, c, cand, qtype, found)
                rtt_max = max(rtt_max, rtt)
            t += rtt_max + 0.0002
            if found:
                return t
        return t

    def exists(self, name, c):
        if name.endswith(".cluster.local"):
            head = name[: -len(".svc.cluster.local")] if name.endswith(".svc.cluster.local") else None
            if head is None:
                return name.endswith(".pod.cluster.local")
            parts = head.split(".")
            return len(parts) == 2 and parts[0].split("-")[0] in [s.split("-")[0] for s in self.services] or \
                (len(parts) == 3 and parts[0].endswith("-0"))
        if name.endswith(".internal") or name.endswith(".internal.cloudapp.net"):
            return False
        if any(name.endswith("." + s) for s in ONPREM_SEARCH):
            return name.split(".", 1)[0] in ONPREM_HOSTS and name.count(".") == 2 + ("dc1." in name)
        if name.endswith(".in-addr.arpa"):
            return True
        return True

    def answer(self, t, c, name, qtype, found):
        rng = self.rng
        self.counts["queries"] += 1
        if name.endswith(".cluster.local"):
            rtt = 0.0003 + rng.random() * 0.001
            if not found:
                self.w.exchange(t, c.ip, c.resolver, name, qtype, NXDOMAIN, (), CLUSTER_SOA, rtt)
            elif qtype == A:
                self.w.exchange(t, c.ip, c.resolver, name, qtype, 0,
                                [(A, 5, bytes([198, 19, stable(name) % 256, 1 + stable(name, "x") % 254]))], (), rtt)
            else:
                self.w.exchange(t, c.ip, c.resolver, name, qtype, 0, (), CLUSTER_SOA, rtt)
            return rtt
        if not found:
            rtt = 0.0008 + rng.random() * 0.003
            apex = name.split(".", 1)[1] if name.count(".") > 2 else name
            self.w.exchange(t, c.ip, c.resolver, name, qtype, NXDOMAIN, (), soa_for(apex), rtt)
            return rtt
        if name.endswith(".in-addr.arpa"):
            rtt = 0.001 + rng.random() * 0.05
            if rng.random() < 0.5:
                self.w.exchange(t, c.ip, c.resolver, name, qtype, NXDOMAIN, (), soa_for("in-addr.arpa"), rtt)
            else:
                target = f"host-{name.split('.')[0]}.{rng.choice(WORDS)}.net"
                self.w.exchange(t, c.ip, c.resolver, name, PTR, 0, [(PTR, 3600, dm.wire(target))], (), rtt)
            return rtt
        zone = self.w.zones.get(name)
        if zone is None:
            zone = classify(name)
            if len(self.w.zones) < 500_000:
                self.w.zones[name] = zone
        rtt = 0.0005 + (rng.random() * 0.04 if rng.random() < 0.3 else rng.random() * 0.002)
        answers = public_answer(name, qtype, zone)
        self.w.exchange(t, c.ip, c.resolver, name, qtype, 0, answers, () if answers else soa_for(name), rtt)
        return rtt

    # Activities ------------------------------------------------------------------------------
    def llm_call(self, t, p):
        return self.resolve(t, p, p.llm)

    def pip_install(self, t, p):
        rng = self.rng
        t = self.resolve(t, p, "pypi.org")
        for _ in range(rng.randint(1, 25)):
            t = self.resolve(t + rng.uniform(0.05, 2), p, "files.pythonhosted.org")
        return t

    def npm_install(self, t, p):
        rng = self.rng
        for _ in range(rng.randint(1, 30)):
            t = self.resolve(t + rng.uniform(0.01, 1), p, "registry.npmjs.org", both=False)
        return t

    def apt(self, t, p):
        for host in ("deb.debian.org", "deb.debian.org", "security.debian.org", "deb.debian.org"):
            t = self.resolve(t + self.rng.uniform(0.01, 0.5), p, host)
        return t

    def git(self, t, p):
        rng = self.rng
        hosts = ["github.com", "api.github.com", "codeload.github.com", "objects.githubusercontent.com",
                 "raw.githubusercontent.com", "github.com", "api.github.com", "release-assets.githubusercontent.com",
                 "gitlab.com", "bitbucket.org", "ghcr.io", "pkg-containers.githubusercontent.com"]
        for _ in range(rng.randint(1, 6)):
            t = self.resolve(t + rng.uniform(0.05, 3), p, rng.choice(hosts))
        return t

    def cloud_sdk(self, t, p):
        rng = self.rng
        region = p.region if rng.random() < 0.8 else rng.choice(REGIONS)
        choices = [f"sts.{region}.amazonaws.com", f"s3.{region}.amazonaws.com",
                   f"{rng.choice(self.buckets)}.s3.{region}.amazonaws.com",
                   f"{rng.choice(self.buckets)}.s3.amazonaws.com", f"dynamodb.{region}.amazonaws.com",
                   f"logs.{region}.amazonaws.com", f"secretsmanager.{region}.amazonaws.com",
                   f"ssm.{region}.amazonaws.com", f"{rng.choice(self.accounts)}.dkr.ecr.{region}.amazonaws.com",
                   rng.choice(self.cdk), rng.choice(self.lambda_urls), rng.choice(self.apigw),
                   f"bedrock-runtime.{region}.amazonaws.com", f"sqs.{region}.amazonaws.com",
                   "login.microsoftonline.com", "management.azure.com", f"{rng.choice(WORDS)}{rng.choice(DICT)}.blob.core.windows.net",
                   f"{rng.choice(WORDS)}-kv.vault.azure.net", "oauth2.googleapis.com", "storage.googleapis.com",
                   "www.googleapis.com", f"{rng.choice(['us-central1', 'europe-west4'])}-aiplatform.googleapis.com",
                   "pubsub.googleapis.com", "logging.googleapis.com", "sts.googleapis.com", "iamcredentials.googleapis.com"]
        for _ in range(rng.randint(1, 5)):
            t = self.resolve(t + rng.uniform(0.01, 2), p, rng.choice(choices))
        return t

    def telemetry(self, t, p):
        rng = self.rng
        host = rng.choice(self.sentry + ["http-intake.logs.datadoghq.com", "7-58-2-app.agent.datadoghq.com",
                                         "api.honeycomb.io", "otlp.nr-data.net", "api.segment.io", "us.i.posthog.com",
                                         "statsig.anthropic.com", "dc.services.visualstudio.com",
                                         "westeurope-5.in.applicationinsights.azure.com", "otel-collector.observability"])
        return self.resolve(t, p, host)

    def in_cluster(self, t, p):
        rng = self.rng
        svc = rng.choice(self.services)
        style = rng.random()
        if style < 0.5:
            name = svc
        elif style < 0.7:
            name = f"{svc}.{rng.choice(['data', 'observability', 'platform', p.ns])}"
        elif style < 0.9:
            name = f"{svc}.{rng.choice(['data', 'platform', p.ns])}.svc.cluster.local"
        else:
            name = f"{svc}-0.{svc}.{p.ns}.svc.cluster.local"
        return self.resolve(t, p, name, both=rng.random() < p.v6_share)

    def web_fetch(self, t, p):
        rng = self.rng
        site = self.sites[min(len(self.sites) - 1, int(rng.paretovariate(1.1)) - 1)] if rng.random() < 0.7 else rng.choice(self.sites)
        t = self.resolve(t, p, site)
        for _ in range(rng.randint(0, 3)):
            t = self.resolve(t + rng.uniform(0.01, 0.3), p, rng.choice(self.cloudfront[:80]) if rng.random() < 0.5
                             else rng.choice(["cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "fonts.googleapis.com",
                                              "fonts.gstatic.com", "raw.githubusercontent.com"]))
        return t

    def browse(self, t, p):
        """A headless-browser page load: the site, its CDNs, tag managers, and ad slots (a fresh SafeFrame
        host per slot, as Google's ad frames are served)."""
        rng = self.rng
        chrome = rng.random() < 0.7  # headless Chrome; the rest are Playwright/Firefox without HTTPS records
        both = None if not chrome else False
        t = self.resolve(t, p, rng.choice(self.sites), both=both, https=chrome)
        common = ["www.googletagmanager.com", "www.google-analytics.com", "fonts.googleapis.com", "fonts.gstatic.com",
                  "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "ajax.googleapis.com", "code.jquery.com",
                  "static.cloudflareinsights.com", "connect.facebook.net", "www.gstatic.com", "www.google.com",
                  "a248.e.akamai.net", f"e{rng.randrange(1, 99999)}.{rng.choice(['dscx', 'dscb', 'dsca', 'a', 'b'])}.akamaiedge.net",
                  f"{rng.choice(WORDS)}.global.ssl.fastly.net", rng.choice(self.azurefd), rng.choice(self.cloudfront)]
        for name in rng.sample(common, rng.randint(3, 10)):
            t = self.resolve(t + rng.uniform(0.001, 0.05), p, name, both=both, https=chrome)
        if rng.random() < 0.45:
            ads = ["securepubads.g.doubleclick.net", "pagead2.googlesyndication.com", "tpc.googlesyndication.com",
                   "googleads.g.doubleclick.net", "ad.doubleclick.net", "stats.g.doubleclick.net", "cm.g.doubleclick.net",
                   "ib.adnxs.com", "acdn.adnxs.com", "c.amazon-adsystem.com", "aax.amazon-adsystem.com",
                   "trc.taboola.com", "cdn.taboola.com", "widgets.outbrain.com", "gum.criteo.com", "static.criteo.net",
                   "fastlane.rubiconproject.com", "hbopenbid.pubmatic.com", "ads.pubmatic.com", "s0.2mdn.net",
                   "adservice.google.com", "fundingchoicesmessages.google.com", "ep1.adtrafficquality.google"]
            for name in rng.sample(ads, rng.randint(3, 12)):
                t = self.resolve(t + rng.uniform(0.001, 0.1), p, name, both=both, https=chrome)
            for _ in range(rng.randint(1, 6)):
                self.counts["safeframe"] += 1
                t = self.resolve(t + rng.uniform(0.05, 2), p, f"{rng.getrandbits(128):032x}.safeframe.googlesyndication.com",
                                 both=both, https=chrome)
        if rng.random() < 0.05:
            t = self.resolve(t, p, rng.choice(["connectivitycheck.gstatic.com", "www.msftconnecttest.com",
                                               "detectportal.firefox.com", "clients3.google.com"]))
        return t

    def ptr(self, t, p):
        rng = self.rng
        if rng.random() < 0.6:
            ip = f"{rng.randrange(1, 255)}.{rng.randrange(0, 64)}.{rng.randrange(0, 256)}.10"  # pod/service IPs
        else:
            ip = f"{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.choice([18, 19])}.198"
        return self.resolve(t, p, f"{ip}.in-addr.arpa.", both=False)

    def agent_step(self, t, p):
        rng = self.rng
        weights = {"coder": [5, 2, 1.2, 0.3, 1.5, 1.5, 2, 3, 1.2, 0.1, 0.4],
                   "researcher": [5, 0.5, 0.2, 0.1, 0.5, 1, 2, 3, 5, 1.5, 0.4],
                   "browser": [4, 0.2, 0.1, 0.05, 0.3, 0.5, 2, 2, 2, 8, 0.4],
                   "data": [4, 1.5, 0.3, 0.2, 0.8, 4, 2, 4, 1, 0.1, 0.4]}[p.kind]
        acts = [self.llm_call, self.pip_install, self.npm_install, self.apt, self.git, self.cloud_sdk,
                self.telemetry, self.in_cluster, self.web_fetch, self.browse, self.ptr]
        return rng.choices(acts, weights)[0](t, p)

    # Hosts that are not agents -------------------------------------------------------------------
    def mail_message(self, t):
        """An inbound message checked by a mail filter: DNSBLs for the sending IP, DBL/SURBL/URIBL for the
        domains in it, Spamhaus HBL for sender address and attachment hashes, SPF/DKIM/DMARC."""
        rng = self.rng
        m = self.mail
        ip = f"{rng.randrange(1, 255)}.{rng.randrange(256)}.{rng.choice([18, 19])}.198"
        key = self.dqs_key
        names = [(f"{ip}.{key}.zen.dq.spamhaus.net", A), (f"{ip}.b.barracudacentral.org", A),
                 (f"{ip}.bl.spamcop.net", A)]
        sender = f"{rng.choice(WORDS)}{rng.choice(DICT)}.{rng.choice(['com', 'net', 'org', 'io', 'de'])}"
        names += [(sender, TXT), (f"_dmarc.{sender}", TXT), (f"{rng.choice(['s1', 'google', 'selector1', 'k1'])}._domainkey.{sender}", TXT),
                  (sender, MX)]
        email_hash = dm.b32(hashlib.sha1(f"{rng.getrandbits(64)}@{sender}".encode()).digest())
        names.append((f"{email_hash}._email.{key}.hbl.dq.spamhaus.net", A))
        for _ in range(rng.randint(0, 5)):
            d = rng.choice(self.sites).removeprefix("www.")
            names += [(f"{d}.{key}.dbl.dq.spamhaus.net", A), (f"{d}.multi.surbl.org", A), (f"{d}.multi.uribl.com", A)]
        if rng.random() < 0.25:
            for _ in range(rng.randint(1, 3)):
                file_hash = dm.b32(hashlib.sha256(rng.randbytes(32)).digest())
                names.append((f"{file_hash}._file.{key}.hbl.dq.spamhaus.net", A))
        for name, qtype in names:
            listed = rng.random() < 0.03
            rtt = 0.002 + rng.random() * 0.08
            self.counts["queries"] += 1
            if qtype == A and (".spamhaus." in name or "barracuda" in name or "spamcop" in name or "surbl" in name or "uribl" in name):
                if listed:
                    self.w.exchange(t, m.ip, m.resolver, name, A, 0, [(A, 60, bytes([127, 0, 0, rng.choice([2, 3, 4, 9, 10])]))], (), rtt)
                else:
                    self.w.exchange(t, m.ip, m.resolver, name, A, NXDOMAIN, (), soa_for(".".join(name.split(".")[-3:])), rtt)
            else:
                zone = Zone(300, txt="v=spf1 include:_spf.google.com ~all" if qtype == TXT else None)
                self.w.exchange(t, m.ip, m.resolver, name, qtype, 0, public_answer(name, qtype, zone), (), rtt)
            t += rng.uniform(0.001, 0.02)

    def scan_file(self, t):
        """A file scanner asking a malware hash registry about each new file (Team Cymru MHR style)."""
        rng = self.rng
        h = hashlib.md5(rng.randbytes(16)).hexdigest() if rng.random() < 0.5 else hashlib.sha1(rng.randbytes(16)).hexdigest()
        self.counts["queries"] += 1
        self.w.exchange(t, self.scanner.ip, self.scanner.resolver, f"{h}.malware.hash.cymru.com", TXT, NXDOMAIN, (),
                        soa_for("hash.cymru.com"), 0.01 + rng.random() * 0.05)

    def freshclam(self, t):
        """ClamAV's updater: the database version in a TXT record, then the mirror."""
        t = self.resolve(t, self.scanner, "current.cvd.clamav.net", qtypes=(TXT,))
        return self.resolve(t + 0.2, self.scanner, "database.clamav.net")

    def node_tick(self, t, node):
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            ws = self.workspaces[stable(node.cluster) % len(self.workspaces)]
            return self.resolve(t, node, f"{ws}.{rng.choice(['ods', 'oms'])}.opinsights.azure.com")
        if r < 0.5:
            return self.resolve(t, node, f"{rng.randrange(4)}.{rng.choice(['debian.', 'amazon.', ''])}pool.ntp.org")
        if r < 0.8:
            return self.resolve(t, node, rng.choice(["registry-1.docker.io", "auth.docker.io", "production.cloudflare.docker.com",
                                                     f"{self.accounts[0]}.dkr.ecr.{node.region}.amazonaws.com",
                                                     f"prod-{node.region}-starport-layer-bucket.s3.{node.region}.amazonaws.com",
                                                     "ghcr.io", "pkg-containers.githubusercontent.com", "quay.io", "cdn01.quay.io",
                                                     "us-docker.pkg.dev", "registry.k8s.io", f"api.ecr.{node.region}.amazonaws.com"]))
        if r < 0.9:
            return self.resolve(t, node, f"ec2.{node.region}.amazonaws.com")
        return self.resolve(t, node, rng.choice(["connectivity-check.ubuntu.com", "time.aws.com", "time.google.com",
                                                 f"{rng.choice(self.sentry)}"]))


def load(hour):
    """Relative activity by hour of day (UTC): quiet night, busy afternoon."""
    return 0.25 + 0.75 * max(0.0, math.sin(math.pi * (hour - 6) / 14)) if 6 <= hour <= 20 else 0.25


def generate(path, args):
    rng = random.Random(args.seed)
    w = Writer(path, rng)
    fleet = Fleet(rng, w, args.pods)
    hours = args.hours
    # Steps per pod per hour at full load, chosen so the day reaches the requested volume.
    base = args.steps
    started = clock.time()
    for h in range(hours):
        t0 = DAY + h * 3600
        events = []
        for p in fleet.pods:
            n = int(base * p.activity * load(h) * rng.uniform(0.7, 1.3))
            events += [(t0 + rng.uniform(0, 3590), 0, p) for _ in range(n)]
        for node in fleet.nodes:
            events += [(t0 + rng.uniform(0, 3590), 1, node) for _ in range(rng.randint(50, 90))]
        events += [(t0 + rng.uniform(0, 3590), 2, None) for _ in range(int(200 * (0.4 + load(h))))]
        events += [(t0 + rng.uniform(0, 3590), 3, None) for _ in range(int(150 * (0.3 + load(h))))]
        events += [(t0 + rng.uniform(0, 3590), 4, None)]
        events.sort(key=lambda e: e[0])
        for t, kind, who in events:
            if kind == 0:
                fleet.agent_step(t, who)
            elif kind == 1:
                fleet.node_tick(t, who)
            elif kind == 2:
                fleet.mail_message(t)
            elif kind == 3:
                fleet.scan_file(t)
            else:
                fleet.freshclam(t)
        w.flush()
        if args.verbose:
            print(f"  hour {h:2}: {w.queries} queries so far ({clock.time() - started:.0f} s)", file=sys.stderr)
    w.close()
    return w.queries, fleet


def replay(airlock, path):
    """Stream the JSON lines; keep only records with a verdict."""
    kinds = collections.Counter()
    flagged = {}
    suspicious = collections.Counter()
    suspicious_names = set()
    total = 0
    proc = subprocess.Popen([airlock, "replay", "--jsonl", path], stdout=subprocess.PIPE, text=True, bufsize=1 << 20)
    for line in proc.stdout:
        total += 1
        if '"verdict":null' in line:
            continue
        r = json.loads(line)
        verdict = r.get("verdict")
        if not verdict:
            continue
        kinds[verdict] += 1
        if verdict == "suspicious-name":
            suspicious[r.get("domain")] += 1
            suspicious_names.add(r.get("name"))
            continue
        key = (verdict, r.get("domain"))
        f = flagged.setdefault(key, {"first": r.get("time"), "rule": r.get("rule"), "clients": set(), "records": 0,
                                     "by": (r.get("client") or "").rsplit(":", 1)[0],
                                     "example": r.get("name"), "evidence": r.get("evidence"), "grouped": set()})
        f["clients"].add((r.get("client") or "").rsplit(":", 1)[0])
        f["grouped"].add(str(r.get("grouped_by") or r.get("type")))
        f["records"] += 1
    if proc.wait() != 0:
        raise SystemExit(f"airlock replay failed (exit {proc.returncode})")
    return total, kinds, flagged, suspicious, suspicious_names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.path.join(ROOT, ".build", "release", "airlock")
    if not os.path.exists(default):
        default = os.path.join(ROOT, ".build", "debug", "airlock")
    ap.add_argument("--airlock", default=default)
    ap.add_argument("--seed", type=int, default=24)
    ap.add_argument("--pods", type=int, default=64)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--steps", type=int, default=52, help="agent steps per pod per hour at full load")
    ap.add_argument("--smoke", action="store_true", help="1 hour, 10 pods")
    ap.add_argument("--keep", help="write the pcap to this path and keep it")
    ap.add_argument("--pcap", help="replay this existing pcap instead of generating one")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.hours, args.pods = 1, 10
    if not os.path.exists(args.airlock):
        raise SystemExit(f"no airlock binary at {args.airlock} (build it or pass --airlock)")
    started = clock.time()
    fleet = None
    if args.pcap:
        path = args.pcap
    else:
        path = args.keep or os.path.join(tempfile.mkdtemp(prefix="airlock-benign-day."), "benign-day.pcap")
        queries, fleet = generate(path, args)
        print(f"generated {queries} queries from {args.pods} pods over {args.hours} h in {clock.time() - started:.0f} s: "
              f"{path} ({os.path.getsize(path) / 1e6:.0f} MB)"
              + (f"; {fleet.counts['safeframe']} SafeFrame names" if fleet else ""))
    replay_started = clock.time()
    total, kinds, flagged, suspicious, suspicious_names = replay(args.airlock, path)
    print(f"replayed {total} query records with {args.airlock} in {clock.time() - replay_started:.0f} s")
    if not args.pcap and not args.keep:
        os.unlink(path)
        os.rmdir(os.path.dirname(path))
    print()
    print("verdict records by kind: " + (", ".join(f"{k} {v}" for k, v in kinds.most_common()) or "none"))
    bad = [(k, f) for k, f in flagged.items()]
    print(f"convictions (tunnel/campaign/beacon/...): {len(bad)} group(s)")
    for (verdict, domain), f in sorted(bad, key=lambda x: x[1]["first"]):
        clients = sorted(f["clients"])
        print(f"  {verdict:10} {domain} ({', '.join(sorted(f['grouped']))}) first {f['first']} on client {f['by']} "
              f"(rule {f['rule']}); {f['records']} records carry it, from {len(clients)} client(s): "
              f"{', '.join(clients[:4])}{' …' if len(clients) > 4 else ''}")
        evidence = ", ".join(f"{e.get('feature')}={e.get('value')}" for e in (f["evidence"] or [])[:4])
        print(f"             e.g. {f['example']}  [{evidence}]")
    per_million = kinds.get("suspicious-name", 0) / max(1, total) * 1e6
    print(f"suspicious-name verdicts: {kinds.get('suspicious-name', 0)} records ({per_million:.0f} per million queries), "
          f"{len(suspicious_names)} distinct names ({len(suspicious_names) / max(1, total) * 1e6:.1f} per million queries)")
    for domain, n in suspicious.most_common(12):
        print(f"  {n:7}  {domain}")
    print(f"elapsed {clock.time() - started:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
