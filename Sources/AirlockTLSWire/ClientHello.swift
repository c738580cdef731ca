/// The parts of a TLS ClientHello that egress policy and resolver-bypass detection look at.
///
/// Lists are in wire order with GREASE values (RFC 8701) removed, except ``extensionTypes`` which
/// keeps every type as sent (GREASE included) because the order and the GREASE positions are
/// themselves a client fingerprint.
public struct ClientHello: Hashable, Sendable {
    /// Version in the first record header (often 0x0301 even for TLS 1.3 clients).
    public var recordVersion: UInt16
    /// `legacy_version` in the hello body (0x0303 for TLS 1.2 and 1.3 clients).
    public var legacyVersion: UInt16
    /// `supported_versions` (extension 43) without GREASE; empty when the extension is absent.
    public var supportedVersions: [UInt16]
    /// Every `host_name` entry of the server_name extension, in order. More than one is a protocol
    /// violation (RFC 6066 §3) and a way to make a proxy and a server disagree: see ``hasMultipleHostNames``.
    public var serverNames: [ServerName]
    /// Whether a server_name extension was present at all (it may hold only non-host_name entries).
    public var hasServerNameExtension: Bool
    /// ALPN protocol ids (extension 16) without GREASE, e.g. `["h2", "http/1.1"]` or `["dot"]`.
    /// Bytes outside printable ASCII are escaped as `\DDD`.
    public var alpnProtocols: [String]
    /// encrypted_client_hello (0xfe0d) is present. The real server name is then hidden and the
    /// visible SNI is only the outer (public) name; GREASE ECH looks the same on the wire.
    public var hasEncryptedClientHello: Bool
    /// The draft encrypted_server_name extension (ESNI, 0xffce) is present.
    public var hasEncryptedServerName: Bool
    /// Number of cipher suites offered, GREASE included (it is a count of wire entries).
    public var cipherSuiteCount: Int
    /// Extension types in wire order, GREASE included.
    public var extensionTypes: [UInt16]
    /// Whether any GREASE value appeared (cipher suite, extension, version or ALPN id).
    public var usesGREASE: Bool
    /// Length of `legacy_session_id` (32 for TLS 1.3 middlebox-compatibility mode).
    public var sessionIDLength: Int
    /// Number of TLS records the hello was spread over (1 unless it was fragmented).
    public var recordCount: Int
    /// Input bytes up to the end of the record that completed the hello: where the next record starts.
    public var byteCount: Int

    public init(
        recordVersion: UInt16, legacyVersion: UInt16, supportedVersions: [UInt16], serverNames: [ServerName],
        hasServerNameExtension: Bool, alpnProtocols: [String], hasEncryptedClientHello: Bool,
        hasEncryptedServerName: Bool, cipherSuiteCount: Int, extensionTypes: [UInt16], usesGREASE: Bool,
        sessionIDLength: Int, recordCount: Int, byteCount: Int
    ) {
        self.recordVersion = recordVersion
        self.legacyVersion = legacyVersion
        self.supportedVersions = supportedVersions
        self.serverNames = serverNames
        self.hasServerNameExtension = hasServerNameExtension
        self.alpnProtocols = alpnProtocols
        self.hasEncryptedClientHello = hasEncryptedClientHello
        self.hasEncryptedServerName = hasEncryptedServerName
        self.cipherSuiteCount = cipherSuiteCount
        self.extensionTypes = extensionTypes
        self.usesGREASE = usesGREASE
        self.sessionIDLength = sessionIDLength
        self.recordCount = recordCount
        self.byteCount = byteCount
    }

    /// The first host_name, which is the one servers use.
    public var serverName: ServerName? { serverNames.first }

    /// More than one host_name entry: forbidden, and a classic SNI-filter evasion.
    public var hasMultipleHostNames: Bool { serverNames.count > 1 }

    /// Highest version offered: from supported_versions when present, else `legacy_version`.
    public var highestVersion: UInt16 { supportedVersions.max() ?? legacyVersion }

    /// Whether the client offers TLS 1.3 (only possible through supported_versions).
    public var offersTLS13: Bool { supportedVersions.contains(TLSVersion.tls13) }

    /// ECH or ESNI is present: the name the connection really goes to is not visible to policy.
    public var hidesServerName: Bool { hasEncryptedClientHello || hasEncryptedServerName }
}

/// Protocol version code points.
public enum TLSVersion {
    public static let ssl3: UInt16 = 0x0300
    public static let tls10: UInt16 = 0x0301
    public static let tls11: UInt16 = 0x0302
    public static let tls12: UInt16 = 0x0303
    public static let tls13: UInt16 = 0x0304
}

/// Extension type code points the parser interprets.
public enum TLSExtensionType {
    public static let serverName: UInt16 = 0
    public static let applicationLayerProtocolNegotiation: UInt16 = 16
    public static let supportedVersions: UInt16 = 43
    /// draft-ietf-tls-esni-13 and later (RFC 9849 in progress): encrypted_client_hello.
    public static let encryptedClientHello: UInt16 = 0xFE0D
    /// draft-ietf-tls-esni-01…-02: encrypted_server_name, deployed briefly by Firefox and Cloudflare.
    public static let encryptedServerName: UInt16 = 0xFFCE
}
