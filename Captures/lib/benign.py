#!/usr/bin/env python3
"""Benign DNS material for Captures/generate.sh.

  benign.py build --out DIR --seed N
      Writes authoritative zones for a few hundred real registered domains (see names.py for where
      they come from), an nsd.conf fragment listing them, and query plans (JSON) for the clients.
  benign.py run --plan PLAN.json [--log FILE]
      Executes a plan with real clients only: glibc's resolver through `getent` (resolv.conf of the
      network namespace), ISC `dig` and Knot `kdig`. Every child has a timeout; the whole run is
      bounded by --max-seconds.

Answer addresses are drawn from 198.18.0.0/15 (IPv4) and 2001:db8::/32 (IPv6) so that nothing a
capture says could ever point a later test at a real host.
"""
import argparse, base64, ipaddress, json, os, random, string, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import names  # noqa: E402

ALNUM = string.ascii_lowercase + string.digits
IATA = ["fra", "ams", "lhr", "cdg", "iad", "sjc", "nrt", "sin", "gru", "mad", "waw", "arn", "dub"]
AWS_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]


class Zones:
    """Zone data: apex -> list of (owner, ttl, type, rdata)."""

    def __init__(self, rng):
        self.rng = rng
        self.zones = {}
        self.a = {}      # fqdn -> [ipv4]
        self.aaaa = {}   # fqdn -> [ipv6]
        self.used_v4 = set()

    def zone(self, apex):
        if apex not in self.zones:
            self.zones[apex] = []
            serial = 2024000000 + self.rng.randrange(1, 999999)
            self.add(apex, apex, 3600, "SOA",
                     f"ns1.{apex}. hostmaster.{apex}. {serial} 7200 3600 1209600 300")
            for ns in ("ns1", "ns2"):
                self.add(apex, apex, 86400, "NS", f"{ns}.{apex}.")
                self.add(apex, f"{ns}.{apex}", 86400, "A", self.v4())
        return self.zones[apex]

    def add(self, apex, owner, ttl, rtype, rdata):
        if apex not in self.zones:
            self.zone(apex)
        self.zones[apex].append((owner.lower(), ttl, rtype, rdata))
        if rtype == "A":
            self.a.setdefault(owner.lower(), []).append(rdata)
        if rtype == "AAAA":
            self.aaaa.setdefault(owner.lower(), []).append(rdata)

    def v4(self):
        while True:
            # 198.18.32.0 - 198.18.255.255: clear of the capture veth (198.18.10/24) and tun nets (198.19/16).
            ip = f"198.18.{self.rng.randrange(32, 256)}.{self.rng.randrange(1, 255)}"
            if ip not in self.used_v4:
                self.used_v4.add(ip)
                return ip

    def v6(self):
        return str(ipaddress.IPv6Address((0x20010db8 << 96) | self.rng.getrandbits(96)))

    def host(self, apex, fqdn, ttl=None, v6=None):
        """A (and maybe AAAA) records for one host name."""
        ttl = ttl or self.rng.choice([60, 120, 300, 300, 600, 900, 3600, 3600, 14400, 86400])
        for _ in range(self.rng.choice([1, 1, 1, 2, 2, 4])):
            self.add(apex, fqdn, ttl, "A", self.v4())
        if v6 if v6 is not None else self.rng.random() < 0.45:
            for _ in range(self.rng.choice([1, 1, 2])):
                self.add(apex, fqdn, ttl, "AAAA", self.v6())

    def exists(self, fqdn):
        fqdn = fqdn.lower()
        return any(o == fqdn for z in self.zones.values() for (o, _t, _r, _d) in z)

    def validate(self):
        """RFC 1034: a CNAME owner has no other data. Fail the build rather than serve a broken zone."""
        for apex, rrs in self.zones.items():
            kinds = {}
            for owner, _t, rtype, _d in rrs:
                kinds.setdefault(owner, set()).add(rtype)
            for owner, ts in kinds.items():
                if "CNAME" in ts and len(ts) > 1:
                    raise SystemExit(f"zone {apex}: CNAME and other data at {owner}: {sorted(ts)}")

    def write(self, outdir):
        zdir = os.path.join(outdir, "zones")
        os.makedirs(zdir, exist_ok=True)
        conf = []
        for apex in sorted(self.zones):
            fname = "root.zone" if apex == "." else f"{apex}.zone"
            with open(os.path.join(zdir, fname), "w") as f:
                f.write(f"$ORIGIN {apex if apex == '.' else apex + '.'}\n")
                for owner, ttl, rtype, rdata in self.zones[apex]:
                    o = owner if owner == "." else owner + "."
                    f.write(f"{o} {ttl} IN {rtype} {rdata}\n")
            conf.append(f'zone:\n\tname: "{apex}"\n\tzonefile: "{os.path.join(zdir, fname)}"\n')
        with open(os.path.join(outdir, "nsd-zones.conf"), "w") as f:
            f.write("".join(conf))


def rand_label(rng, n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def txt_quote(s):
    # Split long strings into 255-byte character-strings, as real zone files do.
    parts = [s[i:i + 255] for i in range(0, len(s), 255)]
    return " ".join('"' + p.replace('"', '\\"') + '"' for p in parts)


def dkim_key(rng):
    # Same DER prefix as every real RSA-2048 SubjectPublicKeyInfo; the modulus is random.
    der = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
    der += bytes([rng.randrange(128, 256)]) + rng.randbytes(255) + bytes.fromhex("0203010001")
    return base64.b64encode(der).decode()


def build(outdir, seed):
    rng = random.Random(seed)
    z = Zones(rng)
    labels = names.subdomain_labels(400)
    hsts, hsts_version = names.hsts_registered_domains()
    popular = list(names.POPULAR)
    longtail = rng.sample(hsts, 260)
    third_party = list(names.THIRD_PARTY_HOSTS) + list(names.BACKGROUND_HOSTS)

    # Root zone: nsd answers NXDOMAIN for every name outside the hosted zones (typos, search suffixes).
    root = z.zones.setdefault(".", [])
    root.append((".", 86400, "SOA", "a.root-servers.net. nstld.verisign-grs.com. 2024112400 1800 900 604800 86400"))
    root.append((".", 518400, "NS", "a.root-servers.net."))
    root.append(("a.root-servers.net", 518400, "A", "198.18.200.4"))

    # ---- CDN / cloud names whose labels carry hashes, as the real services issue them.
    cdn = {"cloudfront": [], "googlevideo": [], "fbcdn": [], "akamai": [], "azurefd": [], "elb": [],
           "sentry": [], "s3": [], "fastly": []}
    for _ in range(70):
        n = f"d{rand_label(rng, 13)}.cloudfront.net"
        z.host("cloudfront.net", n, ttl=60, v6=True); cdn["cloudfront"].append(n)
    for _ in range(40):
        n = f"rr{rng.randrange(1, 6)}---sn-{rand_label(rng, 8)}.googlevideo.com"
        if rng.random() < 0.5:
            n = n[1:]  # both rN--- and rrN--- forms exist
        z.host("googlevideo.com", n, ttl=1800, v6=True); cdn["googlevideo"].append(n)
    for _ in range(25):
        n = f"scontent-{rng.choice(IATA)}{rng.randrange(1, 6)}-{rng.randrange(1, 3)}.xx.fbcdn.net"
        if not z.exists(n):
            z.host("fbcdn.net", n, ttl=3600, v6=True); cdn["fbcdn"].append(n)
    z.host("fbcdn.net", "static.xx.fbcdn.net", v6=True)
    for _ in range(30):
        e = f"e{rng.randrange(1000, 99999)}.{rng.choice(['a', 'b', 'dsca', 'dscb', 'dscx', 'x'])}.akamaiedge.net"
        z.host("akamaiedge.net", e, ttl=20); cdn["akamai"].append(e)
    for _ in range(20):
        n = f"{rand_label(rng, rng.randrange(4, 10), string.ascii_lowercase)}-{rand_label(rng, 16)}.z01.azurefd.net"
        z.host("azurefd.net", n, ttl=60); cdn["azurefd"].append(n)
    for _ in range(20):
        n = (f"{rand_label(rng, rng.randrange(3, 8), string.ascii_lowercase)}-prod-alb-"
             f"{rng.randrange(10**9, 10**10)}.{rng.choice(AWS_REGIONS)}.elb.amazonaws.com")
        z.host("amazonaws.com", n, ttl=60); cdn["elb"].append(n)
    for _ in range(25):
        n = f"{rand_label(rng, rng.randrange(5, 12), string.ascii_lowercase)}-{rng.choice(['assets', 'media', 'uploads', 'backup', 'static'])}.s3.amazonaws.com"
        z.host("amazonaws.com", n, ttl=5); cdn["s3"].append(n)
    for _ in range(15):
        n = f"o{rng.randrange(100000, 999999)}.ingest.sentry.io"
        z.host("sentry.io", n, ttl=300); cdn["sentry"].append(n)
    for name in ("dualstack.reddit.map.fastly.net", "dualstack.j.sni.global.fastly.net",
                 "dualstack.python.map.fastly.net", "github.map.fastly.net", "prod.pypi.map.fastly.net"):
        z.host("fastly.net", name, ttl=30, v6=True); cdn["fastly"].append(name)
    cdn_any = [n for v in cdn.values() for n in v]

    # ---- First-party domains (popular + long tail).
    sites = {}
    mx_google = 0
    for d in popular + longtail:
        apex = d
        z.zone(apex)
        info = {"apex": d, "hosts": [], "popular": d in popular, "www": f"www.{d}"}
        z.host(apex, d, v6=rng.random() < (0.7 if d in popular else 0.35))
        r = rng.random()
        if r < 0.55:
            z.host(apex, f"www.{d}")
        elif r < 0.8:
            target = rng.choice(cdn["cloudfront"] + cdn["akamai"] + cdn["azurefd"] + cdn["fastly"])
            if target in cdn["akamai"]:
                # Akamai's real chain: www.site -> www.site.edgekey.net -> eNNNN.x.akamaiedge.net
                ek = f"www.{d}.edgekey.net"
                z.add("edgekey.net", ek, 300, "CNAME", target + ".")
                target = ek
            z.add(apex, f"www.{d}", rng.choice([300, 3600]), "CNAME", target + ".")
        else:
            z.add(apex, f"www.{d}", 3600, "CNAME", d + ".")
        info["hosts"].append(f"www.{d}")
        # Subdomains: the head of the list is far more common than the tail.
        k = rng.randrange(3, 10) if d in popular else rng.randrange(1, 6)
        chosen = set()
        while len(chosen) < k:
            idx = min(len(labels) - 1, int(rng.expovariate(1 / 25)))
            lab = labels[idx]
            if lab not in ("www", "ns1", "ns2"):
                chosen.add(lab)
        for lab in sorted(chosen):
            fq = f"{lab}.{d}"
            if rng.random() < 0.15 and lab != "mail":
                z.add(apex, fq, 300, "CNAME", rng.choice(cdn_any) + ".")
            else:
                z.host(apex, fq)
            info["hosts"].append(fq)
        # Mail.
        mxr = rng.random()
        if mxr < 0.35:
            for pref, host in ((1, "aspmx.l.google.com"), (5, "alt1.aspmx.l.google.com"), (10, "alt2.aspmx.l.google.com")):
                z.add(apex, d, 3600, "MX", f"{pref} {host}.")
            spf = "v=spf1 include:_spf.google.com ~all"
            mx_google += 1
        elif mxr < 0.6:
            tgt = d.replace(".", "-") + ".mail.protection.outlook.com"
            z.add(apex, d, 3600, "MX", f"0 {tgt}.")
            z.host("outlook.com", tgt, ttl=10)
            spf = "v=spf1 include:spf.protection.outlook.com -all"
        else:
            z.add(apex, d, 3600, "MX", f"10 mail.{d}.")
            if f"mail.{d}" not in info["hosts"]:
                z.host(apex, f"mail.{d}")
            spf = f"v=spf1 mx a ip4:{z.v4()}/28 -all"
        z.add(apex, d, 3600, "TXT", txt_quote(spf))
        if rng.random() < 0.5:
            tok = base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip("=")
            z.add(apex, d, 3600, "TXT", txt_quote(f"google-site-verification={tok}"))
        if rng.random() < 0.25:
            z.add(apex, d, 3600, "TXT", txt_quote(f"MS=ms{rng.randrange(10**7, 10**8)}"))
        if rng.random() < 0.2:
            z.add(apex, d, 3600, "TXT", txt_quote(f"facebook-domain-verification={rand_label(rng, 30)}"))
        if rng.random() < 0.15:
            import uuid
            z.add(apex, d, 3600, "TXT", txt_quote(f"docusign={uuid.UUID(int=rng.getrandbits(128))}"))
        z.add(apex, f"_dmarc.{d}", 3600, "TXT",
              txt_quote(f"v=DMARC1; p={rng.choice(['none', 'quarantine', 'reject'])}; rua=mailto:dmarc@{d}"))
        if rng.random() < 0.5:
            sel = rng.choice(["google", "selector1", "selector2", "default", "k1", "s1", "mail"])
            z.add(apex, f"{sel}._domainkey.{d}", 3600, "TXT", txt_quote(f"v=DKIM1; k=rsa; p={dkim_key(rng)}"))
            info["dkim"] = f"{sel}._domainkey.{d}"
        if rng.random() < 0.4:
            alpn = rng.choice(['"h2,h3"', '"h2"', '"h3,h2"'])
            hint = z.a.get(d, [None])[0]
            rdata = f"1 . alpn={alpn}" + (f" ipv4hint={hint}" if hint and rng.random() < 0.5 else "")
            z.add(apex, d, 300, "HTTPS", rdata)
            if z.a.get(f"www.{d}"):
                z.add(apex, f"www.{d}", 300, "HTTPS", rdata)
        if rng.random() < 0.3:
            z.add(apex, d, 3600, "CAA", f'0 issue "{rng.choice(["letsencrypt.org", "digicert.com", "pki.goog", "sectigo.com"])}"')
        srv = []
        if rng.random() < 0.2:
            for svc, port in (("_imaps._tcp", 993), ("_submission._tcp", 587), ("_autodiscover._tcp", 443)):
                z.add(apex, f"{svc}.{d}", 3600, "SRV", f"0 1 {port} mail.{d}.")
                srv.append(f"{svc}.{d}")
        if rng.random() < 0.08:
            for svc, port in (("_xmpp-client._tcp", 5222), ("_sip._tls", 443), ("_matrix._tcp", 8448)):
                z.add(apex, f"{svc}.{d}", 3600, "SRV", f"10 5 {port} {rng.choice(info['hosts'])}.")
                srv.append(f"{svc}.{d}")
        info["srv"] = srv
        sites[d] = info
    # Google's MX hosts live in the google.com zone.
    for h in ("aspmx.l.google.com", "alt1.aspmx.l.google.com", "alt2.aspmx.l.google.com"):
        if not z.a.get(h):
            z.host("google.com", h, ttl=300, v6=True)

    # ---- Third-party and background hosts (exact names that real software looks up).
    for h in third_party:
        apex = names.registered_domain(h, private=False)
        if z.a.get(h) or any(o == h for (o, _t, r, _d) in z.zones.get(apex, []) if r == "CNAME"):
            continue
        if rng.random() < 0.3 and h != apex:
            z.add(apex, h, 300, "CNAME", rng.choice(cdn["akamai"] + cdn["cloudfront"] + cdn["fastly"]) + ".")
        else:
            z.host(apex, h, v6=rng.random() < 0.6)

    # ---- Reverse zone for the answer addresses (PTR for about half of them).
    ptr_names = []
    rev = "18.198.in-addr.arpa"
    z.zone(rev)
    for fq, ips in list(z.a.items()):
        for ip in ips:
            if rng.random() < 0.5:
                o = ip.split(".")
                owner = f"{o[3]}.{o[2]}.{rev}"
                if not any(x[0] == owner for x in z.zones[rev]):
                    ptr = fq if rng.random() < 0.5 else f"server-{ip.replace('.', '-')}.{rng.choice(['cloudfront.net', 'akamaitechnologies.com', 'bc.googleusercontent.com', 'compute-1.amazonaws.com'])}"
                    z.add(rev, owner, 3600, "PTR", ptr + ".")
    all_ips = sorted({ip for ips in z.a.values() for ip in ips})
    ptr_names = all_ips

    z.validate()
    z.write(outdir)
    meta = {
        "seed": seed,
        "hstspreload_version": hsts_version,
        "registered_domains": sorted({names.registered_domain(a, private=False) or a for a in z.zones if a not in (".", rev)}),
        "popular": popular, "longtail": longtail,
    }
    plans = {
        "resolver": make_plan(random.Random(seed * 7 + 1), z, sites, cdn, third_party, all_ips, scale=1.0),
        "direct": make_plan(random.Random(seed * 7 + 2), z, sites, cdn, third_party, all_ips, scale=0.3),
        "mixed": make_plan(random.Random(seed * 7 + 4), z, sites, cdn, third_party, all_ips, scale=0.3),
        "tcp": make_tcp_plan(random.Random(seed * 7 + 3), z, sites, cdn, third_party),
    }
    for k, p in plans.items():
        with open(os.path.join(outdir, f"plan-{k}.json"), "w") as f:
            json.dump(p, f, indent=0)
    with open(os.path.join(outdir, "benign-meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps({"zones": len(z.zones), "registered_domains": len(meta["registered_domains"]),
                      "plans": {k: len(v) for k, v in plans.items()}}))


def zipf_pick(rng, seq, s=1.1):
    weights = [1 / (i + 1) ** s for i in range(len(seq))]
    return rng.choices(seq, weights=weights, k=1)[0]


def mixed_case(rng, name):
    """0x20-style random case, as some stub resolvers and security products send it."""
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in name)


def typo(rng, d):
    label, _, rest = d.partition(".")
    if len(label) < 3:
        return "ww." + d
    i = rng.randrange(1, len(label) - 1)
    kind = rng.choice(["swap", "drop", "double", "tld"])
    if kind == "swap":
        label = label[:i] + label[i + 1] + label[i] + label[i + 2:]
    elif kind == "drop":
        label = label[:i] + label[i + 1:]
    elif kind == "double":
        label = label[:i] + label[i] + label[i:]
    else:
        rest = rng.choice(["cmo", "co", "con", "om", "nt"]) if rest in ("com", "net") else rest + "m"
    return f"{label}.{rest}"


def make_plan(rng, z, sites, cdn, third_party, all_ips, scale):
    """A browsing day squeezed into a few minutes: start-up burst, page visits, background checks."""
    popular = [d for d in names.POPULAR]
    longtail = [d for d in sites if not sites[d]["popular"]]
    bg = list(names.BACKGROUND_HOSTS)
    tp = list(names.THIRD_PARTY_HOSTS)
    plan = []

    def getent(name, kind="ahosts"):
        return {"tool": "getent", "args": [kind, name]}

    def dig(name, rtype="A", extra=()):
        return {"tool": "dig", "args": ["+tries=1", "+time=2", *extra, name, rtype]}

    def kdig(name, rtype="A", extra=()):
        return {"tool": "kdig", "args": ["+retry=0", "+time=2", *extra, "-t", rtype, name]}

    # Start-up burst: the OS and a browser resolve their update/telemetry/home names at once.
    burst = [getent(h) for h in rng.sample(bg, min(len(bg), 14))]
    burst += [getent(f"www.{d}") for d in popular[:8]]
    burst += [dig(f"www.{d}", "HTTPS") for d in popular[:4]]
    rng.shuffle(burst)
    plan.append({"parallel": burst})
    plan.append({"sleep": 1.0})

    visits = int(220 * scale)
    for v in range(visits):
        if rng.random() < 0.5:
            site = sites[zipf_pick(rng, popular)]
        else:
            site = sites[rng.choice(longtail)]
        main = site["www"] if rng.random() < 0.8 else site["apex"]
        group = [getent(main)]
        if rng.random() < 0.6:
            group.append(dig(main, "HTTPS"))  # browsers ask for HTTPS/SVCB records
        own = [h for h in site["hosts"] if h != site["www"]]
        for h in rng.sample(own, min(len(own), rng.randrange(0, 4))):
            group.append(getent(h))
        for h in {zipf_pick(rng, tp, 0.8) for _ in range(rng.randrange(1, 7))}:
            group.append(getent(h))
        if rng.random() < 0.35:
            kind = rng.choice(["cloudfront", "googlevideo", "fbcdn", "akamai", "azurefd", "s3", "sentry", "elb"])
            for h in rng.sample(cdn[kind], min(len(cdn[kind]), rng.randrange(1, 4))):
                group.append(getent(h))
        plan.append({"parallel": group})
        # Sprinkle background activity between visits.
        r = rng.random()
        if r < 0.10:
            plan.append(getent(rng.choice(bg)))
        elif r < 0.16:
            d = rng.choice(list(sites))
            plan.append(dig(d, "MX"))
            plan.append(dig(d, "TXT"))
            plan.append(dig(f"_dmarc.{d}", "TXT"))
        elif r < 0.21:
            plan.append(kdig(typo(rng, rng.choice(popular[:30] + longtail[:40]))))
        elif r < 0.25:
            d = rng.choice(list(sites))
            bad = f"{rng.choice(['wwww', 'ww', 'mial', 'stagin', 'cdn2', 'wpad', 'autodiscover'])}.{d}"
            plan.append(getent(bad))
        elif r < 0.29:
            # kdig lower-cases names before sending; dig sends them as given.
            plan.append(dig(mixed_case(rng, rng.choice([sites[d]["www"] for d in popular[:25]])), rng.choice(["A", "AAAA"])))
        elif r < 0.32:
            plan.append({"tool": "dig", "args": ["+tries=1", "+time=2", "-x", rng.choice(all_ips)]})
        elif r < 0.35:
            withsrv = [d for d in sites if sites[d]["srv"]]
            if withsrv:
                plan.append(dig(rng.choice(sites[rng.choice(withsrv)]["srv"]), "SRV"))
        elif r < 0.37:
            plan.append(getent(rng.choice(["printer", "nas", "wpad", "router", "fileserver"]), "hosts"))
        elif r < 0.40:
            d = rng.choice([d for d in sites if "dkim" in sites[d]] or list(sites))
            if "dkim" in sites[d]:
                plan.append(kdig(sites[d]["dkim"], "TXT"))
        plan.append({"sleep": round(rng.uniform(0.15, 1.2), 2)})
        if v % 25 == 24:
            # periodic re-checks (connectivity, time, updates) — the same names every time
            plan.append({"parallel": [getent(h) for h in ("connectivity-check.ubuntu.com", "detectportal.firefox.com",
                                                          rng.choice(bg), f"{rng.randrange(4)}.debian.pool.ntp.org")]})
    # A mail filter checking sender domains at the end (one dig process, many queries).
    batch = []
    for d in rng.sample(list(sites), int(100 * scale)):
        batch.append(f"{d} MX")
        batch.append(f"{d} TXT")
        if rng.random() < 0.3:
            batch.append(f"_dmarc.{d} TXT")
    plan.append({"tool": "dig-batch", "args": ["+tries=1", "+time=2"], "lines": batch})
    return plan


def make_tcp_plan(rng, z, sites, cdn, third_party):
    """DNS over TCP: dig +tcp with +keepopen (several queries per connection) and kdig +tcp."""
    plan = []
    ds = list(sites)
    for _ in range(12):
        lines = []
        for d in rng.sample(ds, 6):
            lines.append(f"www.{d} A")
            lines.append(f"www.{d} AAAA")
            lines.append(f"{d} {rng.choice(['MX', 'TXT', 'HTTPS', 'NS', 'SOA', 'CAA'])}")
        plan.append({"tool": "dig-batch", "args": ["+tcp", "+keepopen", "+tries=1", "+time=2"], "lines": lines})
        plan.append({"sleep": 0.5})
    for d in rng.sample([d for d in ds if "dkim" in sites[d]], 15):
        plan.append({"tool": "dig", "args": ["+tcp", "+tries=1", "+time=2", sites[d]["dkim"], "TXT"]})
    for h in rng.sample(list(names.THIRD_PARTY_HOSTS), 20):
        plan.append({"tool": "kdig", "args": ["+tcp", "+retry=0", "+time=2", "-t", rng.choice(["A", "AAAA"]), h]})
    for _ in range(10):
        plan.append({"tool": "kdig", "args": ["+tcp", "+retry=0", "+time=2", typo(rng, rng.choice(ds))]})
    return plan


def count_plan(plan):
    n = 0
    for step in plan:
        if "parallel" in step:
            n += len(step["parallel"])
        elif "tool" in step:
            n += len(step.get("lines", [])) or 1
    return n


def run(plan_path, log_path, max_seconds):
    with open(plan_path) as f:
        plan = json.load(f)
    deadline = time.monotonic() + max_seconds
    log = open(log_path, "a") if log_path else open(os.devnull, "w")
    stats = {"invocations": 0, "failures": 0}
    tmpdir = os.path.dirname(os.path.abspath(log_path or plan_path))

    def argv(step):
        t = step["tool"]
        if t == "getent":
            return ["getent", *step["args"]]
        if t == "dig":
            return ["dig", *step["args"]]
        if t == "kdig":
            return ["kdig", *step["args"]]
        if t == "dig-batch":
            path = os.path.join(tmpdir, f"digbatch-{stats['invocations']}.txt")
            with open(path, "w") as bf:
                bf.write("\n".join(step["lines"]) + "\n")
            return ["dig", *step["args"], "-f", path]
        raise ValueError(t)

    def start(step):
        stats["invocations"] += 1
        cmd = argv(step)
        log.write("$ " + " ".join(cmd) + "\n")
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def finish(p, limit=30):
        try:
            rc = p.wait(timeout=max(0.1, min(limit, deadline - time.monotonic() + 5)))
        except subprocess.TimeoutExpired:
            p.kill(); p.wait(); rc = -9
        if rc not in (0, 2):  # getent exits 2 for "not found" (NXDOMAIN), which is expected
            stats["failures"] += 1

    for step in plan:
        if time.monotonic() > deadline:
            stats["stopped_early"] = True
            break
        if "sleep" in step:
            time.sleep(step["sleep"])
        elif "parallel" in step:
            procs = [start(s) for s in step["parallel"]]
            for p in procs:
                finish(p)
        else:
            finish(start(step), limit=120)
    log.close()
    print(json.dumps(stats))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build"); b.add_argument("--out", required=True); b.add_argument("--seed", type=int, required=True)
    r = sub.add_parser("run"); r.add_argument("--plan", required=True); r.add_argument("--log"); r.add_argument("--max-seconds", type=float, default=300)
    c = sub.add_parser("count"); c.add_argument("--plan", required=True)
    a = ap.parse_args()
    if a.cmd == "build":
        build(a.out, a.seed)
    elif a.cmd == "run":
        run(a.plan, a.log, a.max_seconds)
    else:
        with open(a.plan) as f:
            print(count_plan(json.load(f)))


if __name__ == "__main__":
    main()
