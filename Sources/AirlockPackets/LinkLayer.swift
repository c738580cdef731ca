/// The link layers captures use, and where their IP packet starts.
public enum LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null: Int32 = 0
    public static let ethernet: Int32 = 1
    /// Raw IP as most systems number it (DLT_RAW); 14 is OpenBSD's number, 101 the file format's.
    public static let raw: Int32 = 12
    public static let rawOpenBSD: Int32 = 14
    public static let rawLinkType: Int32 = 101
    /// OpenBSD loopback: the address family in network byte order.
    public static let loop: Int32 = 108
    public static let linuxSLL: Int32 = 113
    public static let ipv4: Int32 = 228
    public static let ipv6: Int32 = 229
    public static let linuxSLL2: Int32 = 276

    /// Link types ``PacketDecoder`` reads.
    public static let supported: [Int32] = [
        null, ethernet, raw, rawOpenBSD, rawLinkType, loop, linuxSLL, ipv4, ipv6, linuxSLL2,
    ]
}

/// What a link-layer header says follows it.
enum NetworkLayer: Equatable {
    case ipv4(offset: Int)
    case ipv6(offset: Int)
    /// Raw IP: the version nibble decides.
    case ipAnyVersion(offset: Int)
    /// Something other than IP (ARP, LLDP, ...): counted, not malformed.
    case notIP
    case malformed(MalformedReason)
}

enum LinkLayer {
    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86DD
    /// Stacked tags beyond this are treated as malformed: real networks use one or two.
    static let maxTags = 8

    static func network(linkType: Int32, bytes: Span<UInt8>) -> NetworkLayer {
        switch linkType {
        case LinkType.ethernet:
            return ethernet(bytes)
        case LinkType.linuxSLL:
            guard bytes.count >= 16 else { return .malformed(.truncatedLinkHeader) }
            return etherType(bytes.be16(14), payloadAt: 16, bytes)
        case LinkType.linuxSLL2:
            guard bytes.count >= 20 else { return .malformed(.truncatedLinkHeader) }
            return etherType(bytes.be16(0), payloadAt: 20, bytes)
        case LinkType.raw, LinkType.rawOpenBSD, LinkType.rawLinkType:
            return .ipAnyVersion(offset: 0)
        case LinkType.ipv4:
            return .ipv4(offset: 0)
        case LinkType.ipv6:
            return .ipv6(offset: 0)
        case LinkType.null, LinkType.loop:
            return loopback(bytes)
        default:
            return .malformed(.unsupportedLinkType)
        }
    }

    /// Ethernet II with any stack of 802.1Q / 802.1ad / QinQ tags, PPPoE sessions and MPLS labels.
    private static func ethernet(_ bytes: Span<UInt8>) -> NetworkLayer {
        guard bytes.count >= 14 else { return .malformed(.truncatedLinkHeader) }
        var type = bytes.be16(12)
        var offset = 14
        var tags = 0
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 || type == 0x9200 {
            tags += 1
            guard tags <= maxTags else { return .malformed(.tooManyLinkTags) }
            guard bytes.count >= offset + 4 else { return .malformed(.truncatedLinkHeader) }
            type = bytes.be16(offset + 2)
            offset += 4
        }
        return etherType(type, payloadAt: offset, bytes)
    }

    private static func etherType(_ type: UInt16, payloadAt offset: Int, _ bytes: Span<UInt8>) -> NetworkLayer {
        switch type {
        case etherTypeIPv4:
            return .ipv4(offset: offset)
        case etherTypeIPv6:
            return .ipv6(offset: offset)
        case 0x8864:
            // PPPoE session: 6-byte header, then a 2-byte PPP protocol.
            guard bytes.count >= offset + 8 else { return .malformed(.truncatedLinkHeader) }
            switch bytes.be16(offset + 6) {
            case 0x0021: return .ipv4(offset: offset + 8)
            case 0x0057: return .ipv6(offset: offset + 8)
            default: return .notIP
            }
        case 0x8847, 0x8848:
            // MPLS: labels until the bottom-of-stack bit; the payload's version nibble says which IP.
            var position = offset
            for _ in 0..<maxTags {
                guard bytes.count >= position + 4 else { return .malformed(.truncatedLinkHeader) }
                let bottom = bytes[position + 2] & 0x01 != 0
                position += 4
                if bottom { return .ipAnyVersion(offset: position) }
            }
            return .malformed(.tooManyLinkTags)
        default:
            return .notIP
        }
    }

    /// BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD, OpenBSD),
    /// 28 (FreeBSD) or 30 (macOS). Either byte order is accepted, since DLT_NULL uses the writer's.
    private static func loopback(_ bytes: Span<UInt8>) -> NetworkLayer {
        guard bytes.count >= 4 else { return .malformed(.truncatedLinkHeader) }
        let bigEndian = bytes.be32(0)
        let family = bigEndian <= 0xFF ? bigEndian : bigEndian.byteSwapped
        switch family {
        case 2: return .ipv4(offset: 4)
        case 10, 24, 28, 30: return .ipv6(offset: 4)
        default: return .notIP
        }
    }
}
