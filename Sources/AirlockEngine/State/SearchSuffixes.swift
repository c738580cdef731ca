import AirlockEvents

/// The search suffixes each client's stub resolver appends, learned from its own queries, so that a
/// search-list expansion can be taken back from the suffix's domain once it proves itself one.
///
/// With `ndots:5` a pod tries every external name under each search suffix before the name itself:
/// `<32 hex>.safeframe.googlesyndication.com.dc1.acme.com` (NXDOMAIN), then the name. Suffixes under
/// `cluster.local` or `.internal` are local zones, but an on-premises node's own domain (`dc1.acme.com`,
/// inherited from its DHCP search list) is an ordinary registered domain, and it receives every odd
/// name the pod resolves: a day of one browsing pod's ad frames convicted `acme.com` (the benign day
/// with an on-premises cluster of two pods). A name is recorded as an expansion candidate when a label
/// inside its subdomain is a TLD (`…googlesyndication.com.dc1…`); the suffix after that label is the
/// client's. When the name in front of the suffix then resolves (NOERROR) for the same client, the
/// expansion was a lookup of that name, not data for the suffix's zone, and the engine takes it back.
///
/// The proof is the bare name resolving: a tunnel's `<data>.com.attacker.com` has no bare name that
/// exists, so its evidence stands; one that makes the bare name resolve (a wildcard zone of its own)
/// moves its data to that zone, where it is judged in turn.
///
/// State: a direct-mapped table of `slots` clients (a newer client takes an older one's slot), each with
/// its last ``perClient`` suffixes, recently used first. About 200 bytes a client.
struct SearchSuffixes {
    /// One suffix as the client appends it, with the domain group its expansions are judged under.
    struct Suffix: Equatable {
        var wire: [UInt8]
        var domain: DomainKey
        /// Bytes of ``wire`` left of ``domain``'s labels: what the suffix adds to an expansion's
        /// subdomain. Nil when the domain reaches past the suffix (then an expansion is built to hash it).
        var subdomainBytes: Int?

        init(wire: [UInt8], domain: DomainKey) {
            self.wire = wire
            self.domain = domain
            var starts: [Int] = []
            var i = 0
            while i < wire.count {
                starts.append(i)
                i += Int(wire[i]) + 1
            }
            let kept = starts.count - domain.labelCount
            subdomainBytes = kept < 0 ? nil : (kept == starts.count ? wire.count : starts[kept])
        }
    }

    /// What the engine looks an expansion up by, worked out without building its name: the FNV-1a of
    /// its wire form (``DNSName/wireHash``) and of its subdomain (``NameFeatures/subdomainHash``).
    struct ExpansionHashes: Equatable {
        var wireHash: UInt64
        var subdomainHash: UInt64
    }

    private struct Slot {
        var client: ClientIdentity
        var suffixes: [Suffix]
    }

    static let perClient = 4
    private var slots: [Slot?]
    /// The NXDOMAIN answers' bytes (the zone's SOA) of recent expansions, by client and name, taken back
    /// with the expansion: 1,024 direct-mapped entries.
    private var answeredKeys = [UInt64](repeating: 0, count: 1024)
    private var answeredBytes = [Int32](repeating: 0, count: 1024)

    init(slots: Int) {
        self.slots = Array(repeating: nil, count: max(1, slots))
    }

    /// Whether `name` lies under one of `client`'s learned suffixes.
    func isUnderSuffix(_ name: DNSName, client: ClientIdentity) -> Bool {
        suffixes(of: client).contains { suffix in
            name.wire.count > suffix.wire.count && name.wire.suffix(suffix.wire.count).elementsEqual(suffix.wire)
        }
    }

    /// Notes the answer bytes of a possible expansion (a name under one of the client's suffixes).
    mutating func noteAnswer(_ name: DNSName, client: ClientIdentity, bytes: Int) {
        let key = Self.answerKey(name, client)
        let index = Int(key % UInt64(answeredKeys.count))
        answeredKeys[index] = key
        answeredBytes[index] = Int32(clamping: bytes)
    }

    /// The answer bytes noted for `name` (once), 0 when none are.
    mutating func takeAnswer(_ name: DNSName, client: ClientIdentity) -> Int {
        let noted = answer(name, client: client)
        forgetAnswer(noted)
        return noted.bytes
    }

    /// Where ``takeAnswer(_:client:)`` looks, and what it finds (bytes 0 when nothing is noted), without
    /// taking it: ``forgetAnswer(_:)`` takes it.
    func answer(_ name: DNSName, client: ClientIdentity) -> (index: Int, bytes: Int) {
        answer(wireHash: name.wireHash, client: client)
    }

    /// ``answer(_:client:)`` for the name whose ``DNSName/wireHash`` is `wireHash`.
    func answer(wireHash: UInt64, client: ClientIdentity) -> (index: Int, bytes: Int) {
        let key = Self.answerKey(wireHash, client)
        let index = Int(key % UInt64(answeredKeys.count))
        guard answeredKeys[index] == key else { return (-1, 0) }
        return (index, Int(answeredBytes[index]))
    }

    mutating func forgetAnswer(_ noted: (index: Int, bytes: Int)) {
        if noted.index >= 0 { answeredKeys[noted.index] = 0 }
    }

    private static func answerKey(_ name: DNSName, _ client: ClientIdentity) -> UInt64 {
        answerKey(name.wireHash, client)
    }

    private static func answerKey(_ wireHash: UInt64, _ client: ClientIdentity) -> UInt64 {
        // The name by its stored hash: hashing its bytes again was most of a response's cost here.
        UInt64(bitPattern: Int64(KeyMixing.mix(client.mixingCode ^ wireHash, 0))) | 1
    }

    /// Records the suffix `name` was tried under, if it looks like an expansion: a TLD label with at
    /// least one label before it, inside the part left of `domain`'s group.
    mutating func learn(_ name: DNSName, domain: DomainKey, client: ClientIdentity) {
        let ranges = name.labelRanges
        let subdomainLabels = ranges.count - domain.labelCount
        guard subdomainLabels >= 2 else { return }
        var split: Int?
        for index in stride(from: subdomainLabels - 1, through: 1, by: -1) {
            let range = ranges[index]
            if NameFeatureExtractor.isCommonTLD(name.wire.span.extracting(range)) {
                split = index
                break
            }
        }
        guard let split else { return }
        let start = ranges[split + 1].lowerBound - 1
        let tail = name.wire[start...]
        let index = slot(of: client)
        guard slots[index]?.client == client else {
            slots[index] = Slot(client: client, suffixes: [Suffix(wire: Array(tail), domain: domain)])
            return
        }
        // A known suffix moves to the front in place (no copy: every expansion repeats one of them).
        if let at = slots[index]!.suffixes.firstIndex(where: { $0.wire.elementsEqual(tail) }) {
            if at != 0 { slots[index]!.suffixes.swapAt(0, at) }
            return
        }
        slots[index]!.suffixes.insert(Suffix(wire: Array(tail), domain: domain), at: 0)
        if slots[index]!.suffixes.count > Self.perClient { slots[index]!.suffixes.removeLast() }
    }

    /// The suffixes `client` was last seen appending (most recent first).
    func suffixes(of client: ClientIdentity) -> [Suffix] {
        guard let entry = slots[slot(of: client)], entry.client == client else { return [] }
        return entry.suffixes
    }

    /// The expansions of `name` under `client`'s suffixes that fit in a name.
    func expansions(of name: DNSName, client: ClientIdentity) -> [(name: DNSName, domain: DomainKey)] {
        var found: [(name: DNSName, domain: DomainKey)] = []
        for suffix in suffixes(of: client) {
            if let expansion = Self.expansion(of: name, under: suffix) { found.append(expansion) }
        }
        return found
    }

    /// `name`'s expansion under `suffix`, nil when `name` is under it already (not the bare name of an
    /// expansion) or the expansion would not fit in a name.
    static func expansion(of name: DNSName, under suffix: Suffix) -> (name: DNSName, domain: DomainKey)? {
        if name.wire.count >= suffix.wire.count && name.wire.suffix(suffix.wire.count).elementsEqual(suffix.wire) {
            return nil
        }
        guard name.wire.count + suffix.wire.count + 1 <= DNSName.maxWireLength else { return nil }
        return (DNSName(validatedWire: name.wire + suffix.wire, hadMixedCase: false), suffix.domain)
    }

    /// The hashes of ``expansion(of:under:)``'s name, nil when there is no expansion: the hashes run on
    /// from `name`'s stored hash over the suffix's bytes, so a response whose expansion holds nothing to
    /// take back (nearly all) costs no name copy.
    static func expansionHashes(of name: DNSName, under suffix: Suffix) -> ExpansionHashes? {
        if name.wire.count >= suffix.wire.count && name.wire.suffix(suffix.wire.count).elementsEqual(suffix.wire) {
            return nil
        }
        guard name.wire.count + suffix.wire.count + 1 <= DNSName.maxWireLength else { return nil }
        guard let subdomainBytes = suffix.subdomainBytes else {
            let built = DNSName(validatedWire: name.wire + suffix.wire, hadMixedCase: false)
            return ExpansionHashes(
                wireHash: built.wireHash,
                subdomainHash: NameFeatureExtractor.subdomainHash(of: built, groupLabels: suffix.domain.labelCount))
        }
        let bytes = suffix.wire.span
        var hash = name.wireHash
        var subdomainHash: UInt64 = 0
        for i in 0..<bytes.count {
            if i == subdomainBytes { subdomainHash = hash }
            hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3
        }
        if subdomainBytes == bytes.count { subdomainHash = hash }
        // No label left of the domain's (an empty name under a suffix that is all domain): no subdomain.
        if name.wire.isEmpty && subdomainBytes == 0 { subdomainHash = 0 }
        return ExpansionHashes(wireHash: hash, subdomainHash: subdomainHash)
    }

    private func slot(of client: ClientIdentity) -> Int {
        Int(UInt64(bitPattern: Int64(KeyMixing.mix(client.mixingCode, 0))) % UInt64(slots.count))
    }
}
