import AirlockEngine
import AirlockHTTPWire

/// Finds the high-entropy tokens of a request: URL path segments and query parts, and the pieces
/// of header values. Data smuggled out through URLs and headers (to an allowed host that an
/// attacker reads, or through a redirector) must be encoded, and encoded data is long and
/// random-looking where paths, words and identifiers are not.
public struct RequestEntropy: Sendable {
    /// Tokens shorter than this are never counted (short random ids carry little).
    public var minimumLength: Int = 16
    /// Bits per byte from which a token counts when it also has an encoding's shape (hex, base32, base64).
    public var shapedEntropy: Double = 3.0
    /// Bits per byte from which any token counts, shape or not.
    public var anyEntropy: Double = 4.2

    public init() {}

    /// A counted token: its hash (for counting each token once), its information bits, and what it is.
    public struct Token: Sendable, Equatable {
        public var hash: UInt64
        public var bits: Double
        public var features: TokenFeatures
        /// Where it was found: `path`, `query`, or the header name.
        public var location: String
    }

    /// The high-entropy tokens of a request head.
    public func tokens(of head: HTTPRequestHead) -> [Token] {
        var out: [Token] = []
        let path = head.pathAndQuery
        let query = path.firstIndex(of: "?")
        scan(Array(path.utf8[..<(query ?? path.endIndex)]), location: "path", into: &out)
        if let query {
            scan(Array(path.utf8[path.index(after: query)...]), location: "query", into: &out)
        }
        for header in head.headers where !header.is("host") && !header.is("content-length") {
            scan(Array(header.value.utf8), location: header.name.lowercased(), into: &out)
        }
        return out
    }

    /// Splits on separators that never occur inside base64, hex or base32 (`/ ? & = ; , space`
    /// and `.`), and keeps the tokens that look encoded.
    func scan(_ bytes: [UInt8], location: String, into out: inout [Token]) {
        var start = 0
        for i in 0...bytes.count {
            let separator: Bool
            if i == bytes.count {
                separator = true
            } else {
                switch bytes[i] {
                case UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: ";"),
                    UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "\t"):
                    separator = true
                default:
                    separator = false
                }
            }
            guard separator else { continue }
            if i - start >= minimumLength {
                let features = TokenFeatures.of(Array(bytes[start..<i]))
                let shaped = features.shape != .plain && features.entropy >= shapedEntropy
                if shaped || features.entropy >= anyEntropy {
                    out.append(
                        Token(
                            hash: features.hash, bits: features.informationBits, features: features, location: location)
                    )
                }
            }
            start = i + 1
        }
    }
}
