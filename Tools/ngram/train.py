#!/usr/bin/env python3
"""Train Airlock's character trigram model of legitimate DNS labels.

Reproducible: same inputs -> byte-identical outputs. Reads only local files installed by the
ordinary package managers (see Tools/ngram/README.md for where each part comes from):

  * PyPI `hstspreload`            Chromium's HSTS preload list (real registered host names)
  * Debian `dnsrecon`             /usr/share/dnsrecon/subdomains-top1mil.txt and namelist.txt
  * Debian `publicsuffix`         /usr/share/publicsuffix/public_suffix_list.dat (suffix stripping)

Writes
  * Sources/AirlockEngine/Model/NGramModelData.swift   the quantised table as one base64 literal
  * the figures section of Tools/ngram/README.md       (between the `figures:begin/end` markers)

Usage: python3 Tools/ngram/train.py [--captures DIR] [--check]
  --check   build everything in memory and fail if the committed outputs differ (no writes).

Model
  Symbols: 0 = label boundary (begin and end marker), 1..26 = a-z, 27..36 = 0-9, 37 = '-',
  38 = '_', 39 = any other byte ("other"); upper-case ASCII folds to lower case.
  P(c | a b) for every a, b, c in 0..39 (64,000 entries) with interpolated Kneser-Ney smoothing,
  trigram -> bigram -> unigram -> uniform, one absolute discount per order D = n1 / (n1 + 2 n2).
  A label x1..xn is scored as P(x1|^ ^) P(x2|^ x1) ... P($|x(n-1) xn): n + 1 predictions.
  Each entry is stored as a UInt8 cost = round(-log2 P * SCALE), clamped to 255.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import math
import os
import random
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SWIFT_OUT = os.path.join(ROOT, "Sources", "AirlockEngine", "Model", "NGramModelData.swift")
README = os.path.join(ROOT, "Tools", "ngram", "README.md")

PSL_PATH = "/usr/share/publicsuffix/public_suffix_list.dat"
DNSRECON_FILES = ["/usr/share/dnsrecon/subdomains-top1mil.txt", "/usr/share/dnsrecon/namelist.txt"]

SCALE = 8  # cost units per bit: resolution 1/8 bit, range 0 .. 31.875 bits
MAX_COST = 255
V = 40  # symbols
BOUNDARY = 0
OTHER = 39
ALPHABET_DISPLAY = "^abcdefghijklmnopqrstuvwxyz0123456789-_?"  # index -> display char (^ boundary, ? other)
HOLDOUT_MODULUS = 10  # 1 in 10 distinct labels is held out
RANDOM_SEED = 20240611  # fixed: random comparison strings are part of the reproducible output

HEX = "0123456789abcdef"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lower-cased as DNSName folds case
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # RFC 4648 sec. 5

# The fixed (non-data) labels of each public tunnel capture (see /work/shared/captures/README.md);
# every other label of a query name carries tunnel data and is scored.
TUNNEL_CAPTURES = [
    ("ndpi_dns-tunnel-iodine.pcap", "iodine over NULL records", ("pirate", "sea")),
    ("ndpi_dns_exfiltration.pcap", "dnscat2 (hex)", ("dnscat",)),
    ("ndpi_dns-exf.pcap", "base64/gzip exfiltration", ("test", "txt")),
    ("ndpi_dns_long_domainname.pcap", "long tunnel-like name", ("tunnel", "example", "com")),
    ("ndpi_dns2tcp_tunnel.pcap", "dns2tcp", ()),
]


def symbol(byte: int) -> int:
    if 0x61 <= byte <= 0x7A:
        return byte - 0x61 + 1
    if 0x41 <= byte <= 0x5A:
        return byte - 0x41 + 1
    if 0x30 <= byte <= 0x39:
        return byte - 0x30 + 27
    if byte == 0x2D:
        return 37
    if byte == 0x5F:
        return 38
    return OTHER


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def dpkg_version(package: str) -> str:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, check=True)
        return out.stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# ---------------------------------------------------------------- public suffix list


class PublicSuffixList:
    """The PSL algorithm (normal, wildcard and exception rules, ICANN and PRIVATE sections),
    with rules converted to IDNA A-labels because the host names are ASCII."""

    def __init__(self, path: str):
        self.rules: set[tuple[bytes, ...]] = set()
        self.exceptions: set[tuple[bytes, ...]] = set()
        self.skipped = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("//"):
                    continue
                rule = line.split()[0]
                exception = rule.startswith("!")
                if exception:
                    rule = rule[1:]
                try:
                    labels = tuple(
                        l.encode("ascii") if l.isascii() else l.encode("idna") for l in rule.lower().split(".")
                    )
                except UnicodeError:
                    self.skipped += 1
                    continue
                (self.exceptions if exception else self.rules).add(labels[::-1])
        self.rule_count = len(self.rules) + len(self.exceptions)

    def suffix_length(self, labels: list[bytes]) -> int:
        """Number of rightmost labels that form the public suffix (at least 1: the implicit `*`)."""
        rev = labels[::-1]
        best = 1
        for n in range(1, len(rev) + 1):
            key = tuple(rev[:n])
            if key in self.exceptions:
                return n - 1
            if key in self.rules:
                best = max(best, n)
            if tuple(rev[: n - 1]) + (b"*",) in self.rules:
                best = max(best, n)
        return best


# ---------------------------------------------------------------- sources


def hsts_hosts() -> tuple[list[bytes], dict]:
    import hstspreload as h

    path = os.path.join(os.path.dirname(h.__file__), "hstspreload.bin")
    data = open(path, "rb").read()
    hosts: set[bytes] = set()
    for layer in h._JUMPTABLE:  # the package only exposes a lookup; walk its table for every leaf
        for jump in layer:
            if jump is None:
                continue
            for is_leaf, _include_subdomains, name in h._iter_entries(bytearray(data[jump[0] : jump[0] + jump[1]])):
                if is_leaf:
                    hosts.add(name.lower())
    info = {
        "version": h.__version__,
        "checksum": h.__checksum__,
        "bin_sha256": sha256_hex(data),
        "hosts": len(hosts),
    }
    return sorted(hosts), info


def dnsrecon_names() -> tuple[list[bytes], dict]:
    names: set[bytes] = set()
    info = {"version": dpkg_version("dnsrecon"), "files": []}
    for path in DNSRECON_FILES:
        raw = open(path, "rb").read()
        lines = [l.strip().lower() for l in raw.splitlines()]
        lines = [l for l in lines if l]
        names.update(lines)
        info["files"].append((path, len(lines), sha256_hex(raw)))
    info["names"] = len(names)
    return sorted(names), info


def valid_label(label: bytes) -> bool:
    return 1 <= len(label) <= 63


def collect_labels(psl: PublicSuffixList) -> tuple[list[bytes], dict]:
    hosts, hsts_info = hsts_hosts()
    hsts_labels: set[bytes] = set()
    for host in hosts:
        labels = host.split(b".")
        keep = labels[: len(labels) - psl.suffix_length(labels)]
        hsts_labels.update(l for l in keep if valid_label(l))
    hsts_info["labels"] = len(hsts_labels)

    names, recon_info = dnsrecon_names()
    recon_labels: set[bytes] = set()
    for name in names:  # subdomain prefixes (`www.blog`), never carrying a public suffix
        recon_labels.update(l for l in name.split(b".") if valid_label(l))
    recon_info["labels"] = len(recon_labels)

    all_labels = sorted(hsts_labels | recon_labels)
    stats = {
        "hsts": hsts_info,
        "dnsrecon": recon_info,
        "overlap": len(hsts_labels & recon_labels),
        "distinct": len(all_labels),
        "idna": sum(1 for l in all_labels if l.startswith(b"xn--")),
        "with_other": sum(1 for l in all_labels if any(symbol(b) == OTHER for b in l)),
    }
    return all_labels, stats


def is_held_out(label: bytes) -> bool:
    return int.from_bytes(hashlib.sha256(b"airlock-ngram-holdout:" + label).digest()[:8], "big") % HOLDOUT_MODULUS == 0


# ---------------------------------------------------------------- Kneser-Ney


def discount(counts) -> float:
    n1 = sum(1 for c in counts if c == 1)
    n2 = sum(1 for c in counts if c == 2)
    return n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5


def train(labels: list[bytes]) -> tuple[list[list[list[float]]], dict]:
    """Interpolated Kneser-Ney trigram probabilities P[a][b][c] over V symbols."""
    tri = defaultdict(int)
    for label in labels:
        seq = [BOUNDARY, BOUNDARY] + [symbol(b) for b in label] + [BOUNDARY]
        for i in range(2, len(seq)):
            tri[(seq[i - 2], seq[i - 1], seq[i])] += 1

    # Bigram counts for the middle order: continuation counts N1+(. b c), except after the begin
    # marker where nothing can precede, so the raw count is used (as KenLM does for <s>).
    bi = defaultdict(int)
    for (a, b, c), n in tri.items():
        if a == BOUNDARY and b == BOUNDARY:
            bi[(b, c)] += n
        else:
            bi[(b, c)] += 1
    uni = defaultdict(int)  # N1+(. c) over bigram types
    for (b, c) in bi:
        uni[c] += 1

    d3, d2, d1 = discount(tri.values()), discount(bi.values()), discount(uni.values())

    uni_total = sum(uni.values())
    p1 = [0.0] * V
    for c in range(V):
        p1[c] = max(uni.get(c, 0) - d1, 0) / uni_total + d1 * len(uni) / uni_total / V

    bi_ctx_total = defaultdict(int)
    bi_ctx_types = defaultdict(int)
    for (b, c), n in bi.items():
        bi_ctx_total[b] += n
        bi_ctx_types[b] += 1
    p2 = [[0.0] * V for _ in range(V)]
    for b in range(V):
        total = bi_ctx_total.get(b, 0)
        for c in range(V):
            if total == 0:
                p2[b][c] = p1[c]
            else:
                p2[b][c] = max(bi.get((b, c), 0) - d2, 0) / total + d2 * bi_ctx_types[b] / total * p1[c]

    tri_ctx_total = defaultdict(int)
    tri_ctx_types = defaultdict(int)
    for (a, b, c), n in tri.items():
        tri_ctx_total[(a, b)] += n
        tri_ctx_types[(a, b)] += 1
    p3 = [[[0.0] * V for _ in range(V)] for _ in range(V)]
    for a in range(V):
        for b in range(V):
            total = tri_ctx_total.get((a, b), 0)
            types = tri_ctx_types.get((a, b), 0)
            for c in range(V):
                if total == 0:
                    p3[a][b][c] = p2[b][c]
                else:
                    p3[a][b][c] = (
                        max(tri.get((a, b, c), 0) - d3, 0) / total + d3 * types / total * p2[b][c]
                    )
            s = math.fsum(p3[a][b])
            assert abs(s - 1.0) < 1e-9, f"context {a},{b} sums to {s}"
    info = {
        "trigram_tokens": sum(tri.values()),
        "trigram_types": len(tri),
        "discounts": (d3, d2, d1),
    }
    return p3, info


def quantise(p3) -> bytes:
    out = bytearray(V * V * V)
    for a in range(V):
        for b in range(V):
            for c in range(V):
                cost = round(-math.log2(p3[a][b][c]) * SCALE)
                out[(a * V + b) * V + c] = min(MAX_COST, max(0, cost))
    return bytes(out)


# ---------------------------------------------------------------- scoring (mirrors NGramModel.swift)


def cost_sum(table: bytes, label: bytes) -> int:
    a, b, total = BOUNDARY, BOUNDARY, 0
    for byte in label:
        c = symbol(byte)
        total += table[(a * V + b) * V + c]
        a, b = b, c
    return total + table[(a * V + b) * V + BOUNDARY]


def average_ll(table: bytes, label: bytes) -> float:
    return -cost_sum(table, label) / SCALE / (len(label) + 1)


# ---------------------------------------------------------------- evaluation


def qname_from_dns(payload: bytes) -> list[bytes] | None:
    """Labels of the first question of a DNS message (raw bytes; no compression in questions)."""
    if len(payload) < 12 or (payload[2] & 0x80) or int.from_bytes(payload[4:6], "big") < 1:
        return None
    labels, i = [], 12
    while i < len(payload):
        n = payload[i]
        if n == 0:
            return labels
        if n & 0xC0 or i + 1 + n > len(payload):
            return None
        labels.append(payload[i + 1 : i + 1 + n].lower())
        i += 1 + n
    return None


def tunnel_labels(captures_dir: str) -> list[tuple[str, str, list[bytes], int]]:
    """Distinct data-carrying labels of each tunnel capture's queries (raw bytes from the UDP payload,
    so binary labels such as iodine's base128 keep their bytes; tshark's dns.qry.name escapes them)."""
    results = []
    for file, what, fixed in TUNNEL_CAPTURES:
        path = os.path.join(captures_dir, file)
        if not os.path.exists(path):
            continue
        try:
            out = subprocess.run(
                ["tshark", "-r", path, "-Y", "dns.flags.response == 0 && udp", "-T", "fields", "-e", "udp.payload"],
                capture_output=True,
                check=True,
            ).stdout.decode()
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"warning: skipping {file}: tshark failed ({error})", file=sys.stderr)
            continue
        queries = 0
        labels: set[bytes] = set()
        for line in out.split():
            qname = qname_from_dns(bytes.fromhex(line.replace(":", "")))
            if qname is None:
                continue
            queries += 1
            labels.update(l for l in qname if l not in {f.encode() for f in fixed})
        results.append((file, what, sorted(labels), queries))
    return results


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def random_like(rng: random.Random, alphabet: str, lengths: list[int]) -> list[bytes]:
    return [("".join(rng.choice(alphabet) for _ in range(n))).lower().encode() for n in lengths]


def figures(table: bytes, held: list[bytes], captures_dir: str, extra: dict) -> str:
    rng = random.Random(RANDOM_SEED)
    lengths = [len(l) for l in held]
    rows = [("held-out legitimate labels", held)]
    rows.append(("random hex, same lengths", random_like(rng, HEX, lengths)))
    rows.append(("random base32 (lower-cased), same lengths", random_like(rng, BASE32, lengths)))
    rows.append(("random base64url (lower-cased), same lengths", random_like(rng, BASE64URL, lengths)))
    for file, what, labels, queries in tunnel_labels(captures_dir):
        rows.append((f"tunnel: {what} — `{file}` ({queries} {'query' if queries == 1 else 'queries'})", labels))

    legit_scores = sorted(average_ll(table, l) for l in held)
    t1, t5 = percentile(legit_scores, 0.01), percentile(legit_scores, 0.05)
    lines = [
        "Per-label score = mean log2 probability per predicted symbol (characters + end marker), bits;",
        "higher is more name-like. Thresholds t1/t5 are the 1st/5th percentiles of the held-out legitimate",
        f"labels (t1 = {t1:.3f}, t5 = {t5:.3f}); \"< t\" is the share of a row's labels scoring below t.",
        "",
        "| labels | n | mean | p5 | median | p95 | < t1 | < t5 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, labels: list[bytes]) -> str:
        if not labels:
            return f"| {name} | 0 | – | – | – | – | – | – |"
        s = sorted(average_ll(table, l) for l in labels)
        below1 = sum(1 for x in s if x < t1) / len(s)
        below5 = sum(1 for x in s if x < t5) / len(s)
        return (
            f"| {name} | {len(s)} | {sum(s) / len(s):.3f} | {percentile(s, 0.05):.3f} | {percentile(s, 0.5):.3f} | "
            f"{percentile(s, 0.95):.3f} | {100 * below1:.1f}% | {100 * below5:.1f}% |"
        )

    for name, labels in rows:
        lines.append(row(name, labels))

    # The same comparison restricted to labels of 12+ characters: short random strings are
    # indistinguishable from short names, and the tunnel payload labels are long.
    lines += ["", "Restricted to labels of at least 12 characters (same thresholds):", ""]
    lines += lines[4:6]
    for name, labels in rows:
        lines.append(row(name, [l for l in labels if len(l) >= 12]))
    lines += ["", "Single labels (the ordering the Swift tests check):", "", "| label | score |", "|---|---:|"]
    for label in extra["examples"]:
        lines.append(f"| `{label.decode()}` | {average_ll(table, label):.3f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- outputs

EXAMPLE_LABELS = [
    b"google", b"mail", b"cdn", b"api", b"login", b"support", b"www", b"static", b"accounts",
    b"github", b"cloudfront", b"xn--80ak6aa92e",
    b"3f9a0c", b"mzxw6ytb", b"dgvzdc1k", b"8e2b41d07c9f", b"gezdgnbvgy3tqojq", b"c2vjcmv0lwrhdgeh",
    b"a1b2c3d4e5f6a7b8c9d0", b"5f0c2e9b8a7d41f3b6e2c9d0a1f7e8b4",
]


def swift_source(table: bytes, stats: dict, model: dict, train_count: int, held_count: int, train_hash: str) -> str:
    b64 = base64.b64encode(table).decode()
    refs = "\n".join(
        f'        ("{l.decode()}", {cost_sum(table, l)}),' for l in EXAMPLE_LABELS
    )
    d3, d2, d1 = model["discounts"]
    return f"""// GENERATED by Tools/ngram/train.py — do not edit; rerun the script (see Tools/ngram/README.md).
//
// Character trigram model of legitimate DNS labels: P(c | a b) over {V} symbols, interpolated
// Kneser–Ney (discounts trigram {d3:.4f}, bigram {d2:.4f}, unigram {d1:.4f}), stored as UInt8 costs
// round(-log2 P × {SCALE}) clamped to {MAX_COST}, row-major [a][b][c], base64 in one literal so it compiles fast.
//
// Training data (distinct lower-cased labels, public suffixes stripped):
//   hstspreload {stats['hsts']['version']} (PyPI, Chromium HSTS preload list): {stats['hsts']['hosts']} hosts -> {stats['hsts']['labels']} labels
//   dnsrecon {stats['dnsrecon']['version']} (Debian, subdomains-top1mil.txt + namelist.txt): {stats['dnsrecon']['names']} names -> {stats['dnsrecon']['labels']} labels
//   publicsuffix {stats['psl_version']} (Debian) for suffix stripping ({stats['psl_rules']} rules)
//   {stats['distinct']} distinct labels; {train_count} trained on, {held_count} held out (1 in {HOLDOUT_MODULUS} by SHA-256).

/// The embedded legitimate-name model: table, shape and provenance, as written by the training script.
enum NGramModelData {{
    /// Symbol index → display character: `^` is the label boundary, `?` any other byte.
    static let alphabet = "{ALPHABET_DISPLAY}"
    static let symbolCount = {V}
    static let order = 3
    /// Cost units per bit: an entry `q` stands for log2 P = -q / scale.
    static let scale = {SCALE}
    static let tableByteCount = {len(table)}
    /// FNV-1a 64 of the decoded table, checked when the model is decoded.
    static let tableFNV1a64: UInt64 = 0x{fnv1a64(table):016x}
    static let tableSHA256 = "{sha256_hex(table)}"
    static let trainingLabelCount = {train_count}
    static let trainingTrigramCount = {model['trigram_tokens']}
    static let heldOutLabelCount = {held_count}
    /// SHA-256 of the training labels, sorted, newline-separated.
    static let trainingSetSHA256 = "{train_hash}"
    /// Labels with the integer cost sum the training script computed; the Swift scorer must agree.
    static let referenceCostSums: [(label: String, costSum: Int)] = [
{refs}
    ]
    static let tableBase64 = "{b64}"
}}
"""


def replace_figures(readme: str, body: str) -> str:
    begin, end = "<!-- figures:begin (generated by train.py) -->", "<!-- figures:end -->"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"{README}: figures markers not found")
    return pattern.sub(lambda _: begin + "\n" + body + "\n" + end, readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captures", default=os.path.join(ROOT, "..", "shared", "captures", "tunnel"))
    parser.add_argument("--check", action="store_true", help="fail if committed outputs differ; write nothing")
    args = parser.parse_args()

    psl = PublicSuffixList(PSL_PATH)
    labels, stats = collect_labels(psl)
    stats["psl_version"] = dpkg_version("publicsuffix")
    stats["psl_rules"] = psl.rule_count
    stats["psl_sha256"] = sha256_hex(open(PSL_PATH, "rb").read())
    train_labels = [l for l in labels if not is_held_out(l)]
    held = [l for l in labels if is_held_out(l)]
    train_hash = sha256_hex(b"\n".join(train_labels))

    p3, model = train(train_labels)
    table = quantise(p3)
    swift = swift_source(table, stats, model, len(train_labels), len(held), train_hash)

    body = figures(table, held, args.captures, {"examples": EXAMPLE_LABELS})
    summary = [
        "",
        "Training run:",
        "",
        f"- hstspreload {stats['hsts']['version']}: hstspreload.bin SHA-256 `{stats['hsts']['bin_sha256']}`,"
        f" {stats['hsts']['hosts']} preloaded hosts → {stats['hsts']['labels']} distinct labels left of the public suffix",
        *[
            f"- dnsrecon {stats['dnsrecon']['version']}: `{p}` {n} names, SHA-256 `{h}`"
            for p, n, h in stats["dnsrecon"]["files"]
        ],
        f"  → {stats['dnsrecon']['names']} distinct names → {stats['dnsrecon']['labels']} distinct labels",
        f"- publicsuffix {stats['psl_version']}: `{PSL_PATH}` SHA-256 `{stats['psl_sha256']}`,"
        f" {psl.rule_count} rules ({psl.skipped} not convertible to IDNA, skipped)",
        f"- union: {stats['distinct']} distinct labels ({stats['overlap']} in both sources; {stats['idna']} `xn--`;"
        f" {stats['with_other']} containing an \"other\" byte)",
        f"- split: {len(train_labels)} training labels, {len(held)} held out;"
        f" {model['trigram_tokens']} trigram tokens, {model['trigram_types']} trigram types;"
        f" discounts trigram {model['discounts'][0]:.4f}, bigram {model['discounts'][1]:.4f},"
        f" unigram {model['discounts'][2]:.4f}",
        f"- table: {len(table)} bytes, SHA-256 `{sha256_hex(table)}`, training set SHA-256 `{train_hash}`",
    ]
    body = body + "\n" + "\n".join(summary)
    readme = replace_figures(open(README, encoding="utf-8").read(), body)

    if args.check:
        same = open(SWIFT_OUT, encoding="utf-8").read() == swift and open(README, encoding="utf-8").read() == readme
        print("outputs up to date" if same else "outputs differ from a fresh training run")
        return 0 if same else 1
    os.makedirs(os.path.dirname(SWIFT_OUT), exist_ok=True)
    with open(SWIFT_OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(swift)
    with open(README, "w", encoding="utf-8", newline="\n") as f:
        f.write(readme)
    print(body)
    print(f"wrote {os.path.relpath(SWIFT_OUT, ROOT)} ({len(swift)} bytes) and the figures in {os.path.relpath(README, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
