import AirlockEvents

/// An IPv4 or IPv6 prefix (`198.18.1.0/24`, `2001:db8:1::/64`): how sandboxes are matched by client
/// address and how private destinations are allowed.
///
/// Parsing is strict: host bits below the prefix must be zero (`198.18.1.5/24` is refused with a
/// suggestion), because a typo there silently widens or narrows a trust boundary. A bare address is
/// a /32 or /128.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Why a text is not a CIDR, for the diagnostic.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case notAnAddress
        case badPrefix(String)
        case prefixTooLong(Int, max: Int)
        case hostBitsSet(suggestion: String)

        public var description: String {
            switch self {
            case .notAnAddress: return "not an IPv4 or IPv6 address"
            case .badPrefix(let text): return "prefix length '\(text)' is not a number"
            case .prefixTooLong(let n, let max): return "prefix length \(n) is longer than \(max)"
            case .hostBitsSet(let suggestion): return "bits set below the prefix (did you mean '\(suggestion)'?)"
            }
        }
    }

    /// A prefix from an address and length; bits below the prefix are cleared.
    public init(address: IPAddress, prefixLength: Int) {
        let maxLength = address.isIPv4 ? 32 : 128
        let length = min(max(prefixLength, 0), maxLength)
        self.prefixLength = length
        self.address = CIDR.masked(address, length)
    }

    /// Parses `ADDRESS/LENGTH` or a bare address.
    public static func parse(_ text: String) -> Result<CIDR, ParseError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return .failure(.notAnAddress) }
        let maxLength = address.isIPv4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = Int(digits)
            else { return .failure(.badPrefix(String(digits))) }
            guard n <= maxLength else { return .failure(.prefixTooLong(n, max: maxLength)) }
            length = n
        }
        let cidr = CIDR(address: address, prefixLength: length)
        guard cidr.address == address else { return .failure(.hostBitsSet(suggestion: cidr.description)) }
        return .success(cidr)
    }

    /// Whether `candidate` lies inside the prefix. An IPv4-mapped IPv6 address (`::ffff:198.18.1.5`,
    /// what a dual-stack socket reports for an IPv4 client) matches IPv4 prefixes.
    public func contains(_ candidate: IPAddress) -> Bool {
        let candidate = candidate.unmappedIPv4
        guard candidate.isIPv4 == address.isIPv4 else { return false }
        return CIDR.masked(candidate, prefixLength) == address
    }

    /// Whether the two prefixes share any address (one contains the other's network address).
    public func overlaps(_ other: CIDR) -> Bool {
        guard address.isIPv4 == other.address.isIPv4 else { return false }
        return prefixLength <= other.prefixLength ? contains(other.address) : other.contains(address)
    }

    public var description: String { "\(address)/\(prefixLength)" }

    private static func masked(_ address: IPAddress, _ length: Int) -> IPAddress {
        switch address {
        case .v4(let v):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return .v4(v & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return .v6(high: high & highMask, low: low & lowMask)
        }
    }
}

extension IPAddress {
    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), otherwise `self`.
    public var unmappedIPv4: IPAddress {
        if case .v6(0, let low) = self, low >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: low)) }
        return self
    }
}
