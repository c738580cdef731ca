import AirlockEvents

/// Maps a client address to the sandbox it belongs to: the identity the boundary can trust, since
/// the network namespace, not the agent, decides the source address.
public struct SandboxDirectory: Sendable {
    /// (network, prefix length, sandbox), first match wins.
    private let entries: [(network: IPAddress, prefix: Int, sandbox: SandboxID)]

    public init(_ entries: [(network: IPAddress, prefix: Int, sandbox: SandboxID)]) {
        self.entries = entries
    }

    public static let none = SandboxDirectory([])

    public func sandbox(for address: IPAddress) -> SandboxID? {
        for entry in entries where Self.matches(address, entry.network, entry.prefix) { return entry.sandbox }
        return nil
    }

    static func matches(_ address: IPAddress, _ network: IPAddress, _ prefix: Int) -> Bool {
        switch (address, network) {
        case (.v4(let a), .v4(let n)):
            guard prefix > 0 else { return true }
            let mask: UInt32 = prefix >= 32 ? .max : ~(UInt32.max >> UInt32(prefix))
            return a & mask == n & mask
        case (.v6(let ah, let al), .v6(let nh, let nl)):
            func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
            return ah & mask(prefix) == nh & mask(prefix) && al & mask(prefix - 64) == nl & mask(prefix - 64)
        default:
            return false
        }
    }
}
