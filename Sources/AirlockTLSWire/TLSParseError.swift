/// Why a byte stream that starts like a TLS handshake could not be read as a ClientHello.
///
/// The raw value is a stable snake_case reason, meant to be used as a counter key and in logs
/// ("malformed input is counted by reason and skipped"); ``description`` is the human sentence.
public enum TLSParseError: String, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// A record other than handshake (22) arrived before the ClientHello was complete.
    case unexpectedRecordType = "unexpected_record_type"
    /// A record header's major version is not 3 (every TLS and SSLv3 record uses 3.x).
    case invalidRecordVersion = "invalid_record_version"
    /// A zero-length handshake record, forbidden by RFC 8446 §5.1.
    case emptyRecord = "empty_handshake_record"
    /// A record longer than the 2^14-byte plaintext limit (RFC 8446 §5.1).
    case recordTooLong = "record_too_long"
    /// The first handshake message is not a ClientHello (type 1): server data or another protocol.
    case notClientHello = "not_client_hello"
    /// The handshake length exceeds ``ClientHelloParser/maximumHandshakeLength``.
    case handshakeTooLong = "handshake_too_long"
    /// A fixed field or length-prefixed vector runs past the end of the handshake message.
    case truncatedClientHello = "truncated_client_hello"
    /// legacy_session_id longer than 32 bytes.
    case invalidSessionID = "invalid_session_id"
    /// cipher_suites empty or of odd length.
    case invalidCipherSuites = "invalid_cipher_suites"
    /// legacy_compression_methods empty.
    case invalidCompressionMethods = "invalid_compression_methods"
    /// The extensions block does not end exactly where the handshake message ends.
    case extensionsLengthMismatch = "extensions_length_mismatch"
    /// One extension's length runs past the extensions block.
    case truncatedExtension = "truncated_extension"
    /// The same extension type twice (RFC 8446 §4.2): parsers could disagree about which one counts.
    case duplicateExtension = "duplicate_extension"
    /// server_name extension whose list or entry lengths do not add up, or whose list is empty.
    case malformedServerName = "malformed_server_name"
    /// application_layer_protocol_negotiation whose list or entry lengths do not add up.
    case malformedALPN = "malformed_alpn"
    /// supported_versions whose length is odd, empty or inconsistent.
    case malformedSupportedVersions = "malformed_supported_versions"
    /// An SSL 2.0-format (or SSLv2-compatible) ClientHello: no extensions, so no SNI or ALPN to read.
    case sslv2ClientHello = "sslv2_client_hello"

    public var description: String {
        switch self {
        case .unexpectedRecordType: return "a non-handshake TLS record arrived before the ClientHello was complete"
        case .invalidRecordVersion: return "TLS record header with a major version other than 3"
        case .emptyRecord: return "zero-length TLS handshake record"
        case .recordTooLong: return "TLS record longer than 16384 bytes"
        case .notClientHello: return "first handshake message is not a ClientHello"
        case .handshakeTooLong: return "ClientHello handshake length above the accepted maximum"
        case .truncatedClientHello: return "ClientHello field runs past the end of the handshake message"
        case .invalidSessionID: return "ClientHello session id longer than 32 bytes"
        case .invalidCipherSuites: return "ClientHello cipher suite list empty or of odd length"
        case .invalidCompressionMethods: return "ClientHello compression method list empty"
        case .extensionsLengthMismatch: return "ClientHello extensions block does not match the handshake length"
        case .truncatedExtension: return "ClientHello extension runs past the extensions block"
        case .duplicateExtension: return "ClientHello repeats an extension type"
        case .malformedServerName: return "server_name extension lengths are inconsistent or the list is empty"
        case .malformedALPN: return "ALPN extension lengths are inconsistent or a protocol id is empty"
        case .malformedSupportedVersions: return "supported_versions extension lengths are inconsistent"
        case .sslv2ClientHello: return "SSL 2.0-format ClientHello (no extensions, unsupported)"
        }
    }
}
