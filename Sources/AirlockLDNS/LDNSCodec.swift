import AirlockDNSWire
import AirlockEvents

/// Why libldns refused a message: its status code and its own words for it.
public struct LDNSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `ldns_status` value.
    public var status: Int
    /// `ldns_get_errorstr_by_id(status)`, e.g. "Domainname length overflow".
    public var message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "ldns: \(message) (status \(status))" }

    /// Status of a message this wrapper refuses before libldns sees it (not an `ldns_status`).
    public static let refusedByWrapper = -1

    /// More than one TSIG record: libldns 1.8.3 keeps only the last one it reads and leaks the others
    /// (found by the dns_differential fuzzer under LeakSanitizer). RFC 8945 §5.2 allows one, last.
    static let multipleTSIG = LDNSError(
        status: refusedByWrapper, message: "more than one TSIG record (RFC 8945 allows one; libldns would leak)")

    /// Whether this wrapper, not libldns, refused the message.
    public var isWrapperRefusal: Bool { status == Self.refusedByWrapper }
}

/// libldns as the reference DNS codec: the cross-check of ``DNSWireReader`` and the full-message
/// text for verbose output. Allocates per message, so it is never on the replay hot path.
public enum LDNSCodec {
    /// Parses with `ldns_wire2pkt` and converts to the same ``DNSMessage`` the fast path produces.
    ///
    /// What ldns cannot tell is filled in plainly: ``DNSMessage/questionRange`` is nil,
    /// ``DNSMessage/byteCount`` is the whole input and ``DNSMessage/trailingBytes`` 0 (ldns ignores
    /// trailing bytes), the header's Z bit reads 0, and RDATA lengths are ldns's decoded field sizes,
    /// which exceed RDLENGTH where a compressed name inside RDATA was expanded.
    public static func parse(_ bytes: [UInt8]) -> Result<DNSMessage, LDNSError> {
        do {
            let packet = try LDNSPacket(wire: bytes)
            return .success(packet.message(inputLength: bytes.count))
        } catch {
            return .failure(error)
        }
    }

    /// The message in ldns's presentation format (`ldns_pkt2str`: dig-like sections), nil when
    /// ldns cannot parse it or refuses to present a field it parsed (fuzzing found one: a CAA tag
    /// that is not alphanumeric).
    public static func render(_ bytes: [UInt8]) -> String? {
        guard let packet = try? LDNSPacket(wire: bytes) else { return nil }
        return packet.text()
    }

    /// The status text ldns gives a failure, also when the caller only has the code.
    public static func errorString(status: Int) -> String {
        LDNSPacket.errorString(status: status)
    }
}
