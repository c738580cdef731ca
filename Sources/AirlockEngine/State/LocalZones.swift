import AirlockEvents

/// Zones no outside authoritative server answers for: special-use names (RFC 6761 `localhost`,
/// `invalid`; RFC 6762 `local`; RFC 8375 `home.arpa`; RFC 9476 `alt`; `onion`), ICANN's reserved
/// private-use `internal`, the private TLDs ICANN will never delegate (`corp`, `home`, `mail`, `lan`,
/// `localdomain`…) and the search suffixes an operator names.
///
/// A tunnel needs an authoritative server the attacker runs on the internet, so a name in these zones
/// cannot carry data out through a recursive resolver: convicting them only hurts. Kubernetes makes
/// this concrete: with `ndots:5` every external name is first tried under `<ns>.svc.cluster.local`,
/// `svc.cluster.local`, `cluster.local` and `<region>.compute.internal`, so a busy agent pod sends
/// thousands of distinct NXDOMAIN names a day into `cluster.local`; quarantining it would cut the
/// cluster's own service discovery. The engine still scores their names and reports odd ones
/// (suspicious-name verdicts), but never convicts, campaigns or quarantines them.
///
/// Single-label names (`printer`, Chromium's random intranet-redirect probes) are local too: the root
/// answers NXDOMAIN for anything that is not a TLD.
///
/// `test` and `example` (RFC 6761) are left out on purpose: documentation and this project's own
/// tunnel tests run real tunnels under them, and an operator who wants them local can name them.
public struct LocalZones: Sendable {
    let suffixes: SuffixSet

    public init(suffixes: some Sequence<String>) {
        self.suffixes = SuffixSet(suffixes.compactMap { DNSName($0)?.wire }.filter { !$0.isEmpty })
    }

    /// The special-use and private zones listed above.
    public static let defaultZones = [
        "localhost", "local", "invalid", "home.arpa", "alt", "onion", "internal",
        "localdomain", "lan", "corp", "home", "mail", "intranet", "private", "localnet",
        // Cloud resolvers' own search suffixes: Azure VMs and AKS nodes get
        // `<random>.<region>.internal.cloudapp.net` (answered only by Azure's resolver, 168.63.129.16)
        // or `reddog.microsoft.com`; AWS and GCP use `*.internal` (above).
        "internal.cloudapp.net", "reddog.microsoft.com",
    ]

    public static let defaults = LocalZones(suffixes: defaultZones)

    /// The defaults plus an operator's search suffixes and private zones.
    public static func defaults(adding extra: some Sequence<String>) -> LocalZones {
        let extra = Array(extra)
        // The common case (no local zones in the policy) shares the one parsed table.
        return extra.isEmpty ? defaults : LocalZones(suffixes: defaultZones + extra)
    }

    public static let none = LocalZones(suffixes: [String]())

    /// Whether `name` is a single label, or at or below one of the zones (label boundaries respected).
    public func contains(_ name: DNSName) -> Bool {
        if name.labelCount <= 1 { return true }
        return suffixes.contains(name.wire)
    }
}
