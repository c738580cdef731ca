/// What ``ClientHelloParser/parse(_:)`` made of the first bytes a client sent on a connection.
public enum ClientHelloParseResult: Hashable, Sendable {
    /// A complete ClientHello: the fields policy needs.
    case clientHello(ClientHello)
    /// The bytes so far are a valid prefix of a TLS handshake; the hello continues in later TCP
    /// segments or TLS records. `minimumTotal` is a lower bound on the total input length (counted
    /// from the first byte) before parsing can progress, when the headers seen so far tell.
    case needMoreData(minimumTotal: Int?)
    /// The stream does not start with a TLS handshake record (another protocol on this port).
    case notTLS
    /// A TLS-shaped ClientHello this parser deliberately does not read (SSL 2.0 format).
    case unsupported(TLSParseError)
    /// It starts like TLS but breaks the format; the reason is stable for counting.
    case malformed(TLSParseError)
}
