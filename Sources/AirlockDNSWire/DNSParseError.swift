import AirlockEvents

/// The part of a message a record was read from; errors name it so a count can say where messages break.
public enum DNSSection: String, Hashable, Sendable, CustomStringConvertible {
    case question
    case answer
    case authority
    case additional

    public var description: String { rawValue }
}

/// Why ``DNSWireReader`` rejected a message.
///
/// Replay counts malformed messages by ``reason`` (a stable snake_case string), so a reason must never
/// be renamed; the associated values only feed the human-readable ``description``.
public enum DNSParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Longer than 65535 bytes: no transport can carry it, and lengths would overflow the wire fields.
    case messageTooLarge(length: Int)
    /// Fewer than the 12 header bytes.
    case truncatedHeader(length: Int)
    /// The message ends inside question `index` (its name, type or class).
    case truncatedQuestion(index: Int)
    /// The message ends inside the owner name or fixed fields of a record.
    case truncatedRR(section: DNSSection, index: Int)
    /// A record's RDLENGTH runs past the end of the message.
    case rdataOverflow(section: DNSSection, index: Int, rdataLength: Int, available: Int)
    /// A label length byte with type bits 0b01 or 0b10 (RFC 6891 §5 retired the extended label types).
    case badLabelType(offset: Int, byte: UInt8)
    /// A compression pointer back into the bytes of the same name, or more hops than a name has labels.
    case compressionLoop(offset: Int)
    /// A compression pointer at or after its own position: RFC 1035 §4.1.4 allows only prior occurrences.
    case pointerForward(offset: Int, target: Int)
    /// A compression pointer into the 12-byte header, where no name can be.
    case pointerIntoHeader(offset: Int, target: Int)
    /// The name, expanded, is longer than 255 bytes (RFC 1035 §2.3.4).
    case nameTooLong(offset: Int)
    /// An A or AAAA record whose RDATA is not 4 or 16 bytes (empty RDATA is allowed only with class
    /// ANY or NONE, as UPDATE uses it).
    case badAddressLength(section: DNSSection, index: Int, type: UInt16, rdataLength: Int)
    /// A record whose RDATA does not match its type's layout: the names, character-strings and fixed
    /// fields of the types in ``DNSWireReader/layoutCheckedTypes`` must fill RDLENGTH exactly.
    case badRDATA(section: DNSSection, index: Int, type: UInt16)
    /// An OPT pseudo-record outside the additional section (RFC 6891 §6.1.1).
    case optOutsideAdditional(section: DNSSection)
    /// More than one OPT record (RFC 6891 §6.1.1: FORMERR).
    case multipleOPT
    /// An OPT record whose owner is not the root name (RFC 6891 §6.1.2).
    case optOwnerNotRoot
    /// EDNS options that do not fill the OPT RDATA exactly.
    case badEDNSOption(offset: Int)

    /// Stable snake_case key for counting (`truncated_header`, `compression_loop`, ...).
    public var reason: String {
        switch self {
        case .messageTooLarge: return "message_too_large"
        case .truncatedHeader: return "truncated_header"
        case .truncatedQuestion: return "truncated_question"
        case .truncatedRR: return "truncated_rr"
        case .rdataOverflow: return "rdata_overflow"
        case .badLabelType: return "bad_label_type"
        case .compressionLoop: return "compression_loop"
        case .pointerForward: return "pointer_forward"
        case .pointerIntoHeader: return "pointer_into_header"
        case .nameTooLong: return "name_too_long"
        case .badAddressLength: return "bad_address_length"
        case .badRDATA: return "bad_rdata"
        case .optOutsideAdditional: return "opt_outside_additional"
        case .multipleOPT: return "multiple_opt"
        case .optOwnerNotRoot: return "opt_owner_not_root"
        case .badEDNSOption: return "bad_edns_option"
        }
    }

    /// Every ``reason`` in a fixed order, for summary tables that list zero counts too.
    public static let allReasons: [String] = [
        "message_too_large", "truncated_header", "truncated_question", "truncated_rr", "rdata_overflow",
        "bad_label_type", "compression_loop", "pointer_forward", "pointer_into_header", "name_too_long",
        "bad_address_length", "bad_rdata", "opt_outside_additional", "multiple_opt", "opt_owner_not_root",
        "bad_edns_option",
    ]

    public var description: String {
        switch self {
        case .messageTooLarge(let length):
            return "message_too_large: \(length) bytes, a DNS message has at most 65535"
        case .truncatedHeader(let length):
            return "truncated_header: \(length) bytes, the header needs 12"
        case .truncatedQuestion(let index):
            return "truncated_question: message ends inside question \(index)"
        case .truncatedRR(let section, let index):
            return "truncated_rr: message ends inside \(section) record \(index)"
        case .rdataOverflow(let section, let index, let rdataLength, let available):
            return "rdata_overflow: \(section) record \(index) declares \(rdataLength) RDATA bytes, \(available) left"
        case .badLabelType(let offset, let byte):
            return "bad_label_type: label byte 0x\(String(byte, radix: 16)) at offset \(offset)"
        case .compressionLoop(let offset):
            return "compression_loop: name at offset \(offset) points back into itself or chains too many pointers"
        case .pointerForward(let offset, let target):
            return "pointer_forward: pointer at offset \(offset) targets \(target), not an earlier name"
        case .pointerIntoHeader(let offset, let target):
            return "pointer_into_header: pointer at offset \(offset) targets header offset \(target)"
        case .nameTooLong(let offset):
            return "name_too_long: name at offset \(offset) is longer than 255 bytes"
        case .badAddressLength(let section, let index, let type, let rdataLength):
            return
                "bad_address_length: \(section) record \(index) of type \(DNSRecordType.name(type)) has \(rdataLength) RDATA bytes"
        case .badRDATA(let section, let index, let type):
            return "bad_rdata: \(section) record \(index) of type \(DNSRecordType.name(type)) does not fill its RDATA"
        case .optOutsideAdditional(let section):
            return "opt_outside_additional: OPT record in the \(section) section"
        case .multipleOPT:
            return "multiple_opt: more than one OPT record"
        case .optOwnerNotRoot:
            return "opt_owner_not_root: OPT record owner is not the root name"
        case .badEDNSOption(let offset):
            return "bad_edns_option: EDNS option at offset \(offset) overruns the OPT RDATA"
        }
    }
}
