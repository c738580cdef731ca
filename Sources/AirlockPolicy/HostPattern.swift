import AirlockEvents

/// A domain pattern from an allow or deny list, matched on whole labels.
///
/// Three forms, nothing else:
/// - `example.com` — exactly that name.
/// - `*.example.com` — one or more labels below `example.com`, not `example.com` itself.
/// - `.example.com` — `example.com` and every name below it.
///
/// Matching is on label boundaries (`evil-example.com` never matches `.example.com`),
/// case-insensitive and tolerant of a trailing dot, because both sides are ``DNSName`` wire forms.
/// Patterns are lower-cased on parse; anything but letters, digits, `-` and `_` in a label is refused,
/// and so is a bare `*` or `.` (that is what `default: allow` is for).
public struct HostPattern: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case exact
        /// `*.base`
        case subdomains
        /// `.base`
        case domainAndSubdomains
    }

    public let kind: Kind
    /// The name after the `*.` or `.` prefix.
    public let base: DNSName
    /// Labels in ``base``: the pattern's specificity.
    public let baseLabelCount: Int

    public init(kind: Kind, base: DNSName) {
        self.kind = kind
        self.base = base
        self.baseLabelCount = base.labelCount
    }

    /// Parses a pattern; the error text says what is wrong with it.
    public static func parse(_ text: String) -> Result<HostPattern, HostPatternError> {
        guard !text.isEmpty else { return .failure(.empty) }
        // Non-ASCII is refused before folding case: Unicode lower-casing maps some non-ASCII
        // characters to ASCII ones (KELVIN SIGN to 'k'), which would smuggle look-alikes in.
        guard text.unicodeScalars.allSatisfy(\.isASCII) else { return .failure(.nonASCII) }
        var body = Substring(text.lowercased())
        if body.hasSuffix(".") && body.count > 1 { body = body.dropLast() }
        if body == "*" || body == "." || body == "*." { return .failure(.matchesEverything) }
        let kind: Kind
        if body.hasPrefix("*.") {
            kind = .subdomains
            body = body.dropFirst(2)
        } else if body.hasPrefix(".") {
            kind = .domainAndSubdomains
            body = body.dropFirst()
        } else {
            kind = .exact
        }
        if body.contains("*") { return .failure(.misplacedWildcard) }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        var totalLength = 0
        for label in labels {
            guard !label.isEmpty else { return .failure(.emptyLabel) }
            guard label.utf8.count <= 63 else { return .failure(.labelTooLong(String(label))) }
            totalLength += label.utf8.count + 1
            for character in label.unicodeScalars {
                switch character {
                case "a"..."z", "0"..."9", "-", "_": continue
                case " ", "\t", "\n", "\r": return .failure(.whitespace)
                default:
                    if !character.isASCII { return .failure(.nonASCII) }
                    return .failure(.badCharacter(Character(character)))
                }
            }
        }
        guard totalLength - 1 <= 253 else { return .failure(.nameTooLong) }
        guard let base = DNSName(String(body)) else { return .failure(.nameTooLong) }
        return .success(HostPattern(kind: kind, base: base))
    }

    /// Whether `name` (any case, any trailing dot: it is a ``DNSName``) falls under the pattern.
    public func matches(_ name: DNSName) -> Bool {
        let labels = name.labelCount
        switch kind {
        case .exact: return labels == baseLabelCount && name.wire == base.wire
        case .subdomains: return labels > baseLabelCount && HostPattern.hasSuffix(name, base, labels: labels)
        case .domainAndSubdomains: return labels >= baseLabelCount && HostPattern.hasSuffix(name, base, labels: labels)
        }
    }

    /// Whether the rightmost labels of `name` are exactly `base` (a label-boundary suffix test).
    private static func hasSuffix(_ name: DNSName, _ base: DNSName, labels: Int) -> Bool {
        let skip = labels - base.labelCount
        var offset = 0
        for _ in 0..<skip { offset += Int(name.wire[offset]) + 1 }
        return name.wire.count - offset == base.wire.count && name.wire[offset...].elementsEqual(base.wire)
    }

    /// The pattern as written after normalising: `example.com`, `*.example.com` or `.example.com`.
    public var description: String {
        switch kind {
        case .exact: return base.description
        case .subdomains: return "*." + base.description
        case .domainAndSubdomains: return "." + base.description
        }
    }
}

/// Why a text is not a host pattern.
public enum HostPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case matchesEverything
    case misplacedWildcard
    case emptyLabel
    case labelTooLong(String)
    case nameTooLong
    case whitespace
    case nonASCII
    case badCharacter(Character)

    public var description: String {
        switch self {
        case .empty: return "empty pattern"
        case .matchesEverything: return "matches every name; use 'default: allow' or 'default: deny' instead"
        case .misplacedWildcard: return "'*' is only allowed as the whole leftmost label ('*.example.com')"
        case .emptyLabel: return "empty label (two dots in a row)"
        case .labelTooLong(let label): return "label '\(label.prefix(20))...' is longer than 63 bytes"
        case .nameTooLong: return "name is longer than 253 characters"
        case .whitespace: return "contains whitespace"
        case .nonASCII: return "non-ASCII characters; write internationalized names in punycode ('xn--...')"
        case .badCharacter(let c): return "character '\(c)' is not allowed (letters, digits, '-' and '_' only)"
        }
    }
}
