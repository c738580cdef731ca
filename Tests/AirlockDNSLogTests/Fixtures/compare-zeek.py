#!/usr/bin/env python3
"""Compares Airlock's dns.log (JSON lines) with an expected file from zeek-from-tshark.py.

Zeek's fields only (uid is random in Zeek, the *_name columns are checked by the Swift tests, the
airlock.* fields by the replay tests). tshark's JSON shows bytes that are not UTF-8 as U+FFFD and
cuts or escapes strings with control bytes in its own ways, so a query or answer holding bytes
outside printable ASCII is compared only as being binary (a TXT answer by its "TXT <len>"
prefixes); everything else is compared exactly. AirlockDNSLogTests checks the `\\xNN` form of
binary bytes on hand-made messages.

usage: compare-zeek.py OURS.log EXPECTED.jsonl   (exit 0 when the multisets of records are equal)
"""
import json
import re
import sys

SKIP = {"uid", "qclass_name", "qtype_name", "rcode_name", "Z"}


def printable(text, ours):
    return "<binary>" if binary(text, ours) else text


def binary(text, ours):
    if ours:
        return bool(re.search(r"\\x[0-9a-f]{2}", text))
    return "\\" in text or any(not " " <= c <= "~" for c in text)


def txt_prefixes(answer):
    return " ".join(re.findall(r"(?:^| )(TXT \d+)", answer))


def normal(record, ours):
    r = {k: v for k, v in record.items() if not k.startswith("airlock.") and k not in SKIP}
    if "query" in r:
        r["query"] = printable(r["query"], ours)
    if "answers" in r:
        r["answers"] = [txt_prefixes(a) if a.startswith("TXT ") and binary(a, ours) else printable(a, ours)
                        for a in r["answers"]]
    return json.dumps(r, sort_keys=True)


def main():
    ours = sorted(normal(json.loads(line), True) for line in open(sys.argv[1]) if line.strip())
    expected = sorted(normal(json.loads(line), False) for line in open(sys.argv[2]) if line.strip())
    missing = sorted(set(expected) - set(ours))
    extra = sorted(set(ours) - set(expected))
    print(f"{len(ours)} records, {len(expected)} expected, {len(extra)} differing, {len(missing)} missing")
    for line in extra[:3]:
        print("  airlock: " + line[:400])
    for line in missing[:3]:
        print("  expected: " + line[:400])
    sys.exit(0 if ours == expected else 1)


main()
