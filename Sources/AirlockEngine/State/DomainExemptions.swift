import AirlockEvents

/// Domain groups the engine does not score: services that encode data in names by design and whose
/// zones an attacker cannot serve (reverse lookups, DNS blocklists, anti-virus reputation lookups).
///
/// Exempting a domain an attacker can't answer for costs nothing: a tunnel needs an authoritative
/// server of its own. Operators add or remove entries through policy allowlists.
public struct DomainExemptions: Sendable {
    private let suffixes: Set<String>

    public init(suffixes: some Sequence<String>) {
        self.suffixes = Set(suffixes.map { $0.lowercased() })
    }

    /// Reverse zones, major DNSBL/URIBL zones and AV cloud lookups that put hashes or addresses in names.
    public static let defaults = DomainExemptions(suffixes: [
        "in-addr.arpa", "ip6.arpa",
        "spamhaus.org", "spamcop.net", "sorbs.net", "surbl.org", "uribl.com", "barracudacentral.org",
        "senderbase.org", "mailspike.net", "dnswl.org", "abuseat.org", "spameatingmonkey.net",
        "sophosxl.net", "avqs.mcafee.com", "avts.mcafee.com",
    ])

    public static let none = DomainExemptions(suffixes: [])

    /// Whether the group (or a parent of it) is exempt.
    public func contains(_ domain: DomainKey) -> Bool {
        guard !suffixes.isEmpty, domain.kind != .serverAddress else { return false }
        var value = Substring(domain.value)
        while true {
            if suffixes.contains(String(value)) { return true }
            guard let dot = value.firstIndex(of: ".") else { return false }
            value = value[value.index(after: dot)...]
        }
    }
}
