import AirlockEvents

/// Domain groups the engine does not score: services that encode data in names by design and whose
/// zones an attacker cannot serve (reverse lookups, DNS blocklists, anti-virus reputation lookups).
///
/// Exempting a domain an attacker can't answer for costs nothing: a tunnel needs an authoritative
/// server of its own. Operators add or remove entries through policy allowlists.
public struct DomainExemptions: Sendable {
    /// Exempt suffixes in wire form (length-prefixed labels), compared against the tail of a name.
    let suffixes: SuffixSet

    public init(suffixes: some Sequence<String>) {
        self.suffixes = SuffixSet(suffixes.compactMap { DNSName($0)?.wire })
    }

    /// Reverse zones, major DNSBL/URIBL zones and AV cloud lookups that put hashes or addresses in names.
    public static let defaults = DomainExemptions(suffixes: [
        "in-addr.arpa", "ip6.arpa",
        "spamhaus.org", "spamcop.net", "sorbs.net", "surbl.org", "uribl.com", "barracudacentral.org",
        "senderbase.org", "mailspike.net",
        // Spamhaus's data-query zones (DQS: `<key>.zen.dq.spamhaus.net`, the HBL's hashes of files, e-mail
        // addresses and crypto wallets `<hash>._file.<key>.hbl.dq.spamhaus.net`).
        "spamhaus.net",
        "blocklist.de", "nordspam.com", "interserver.net", "unsubscore.com", "spfbl.net", "gbudb.net",
        "kempt.net", "anonmails.de", "justspam.org", "bit.nl", "abusix.zone", "hashlookup.circl.lu", "dnswl.org", "abuseat.org", "spameatingmonkey.net",
        "manitu.net", "uceprotect.net", "junkemailfilter.com", "surriel.com", "dronebl.org", "senderscore.com",
        "lashback.com", "backscatterer.org", "s5h.net", "spamrats.com", "0spam.org", "wpbl.info",
        // Team Cymru: IP-to-ASN lookups (reversed addresses) and the malware hash registry (hex digests).
        "cymru.com",
        "sophosxl.net", "avqs.mcafee.com", "avts.mcafee.com",
        // Microsoft's network measurement for Office and Front Door: a fresh GUID-like name per probe.
        "footprintdns.com",
    ])

    public static let none = DomainExemptions(suffixes: [String]())

    /// Whether `name` is an exempt suffix or lies below one (label boundaries respected).
    public func contains(_ name: DNSName) -> Bool {
        suffixes.contains(name.wire)
    }
}
