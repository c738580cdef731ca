/// The one configuration-tree reader: the policy decoder and the alerting configuration read their
/// YAML sections through these functions, so both report the same mistakes (wrong kind, unknown or
/// duplicate key with one did-you-mean, missing key, out of range, not one of the allowed words) in
/// the same words, each at its `FILE:LINE:COL`.
///
/// A decoder keeps its ``diagnostics`` and calls these; a bad value is reported and comes back nil,
/// so decoding goes on and one run shows every mistake.
public protocol ConfigTreeReader {
    /// Every error found so far, in the order found (loaders sort them into file order).
    var diagnostics: [PolicyDiagnostic] { get set }
}

/// A section's keys as an enum, so the decoder can `switch` over them: a key listed without a case
/// does not compile, and a case never listed cannot be written in the file.
public typealias ConfigKey = RawRepresentable<String> & CaseIterable & Hashable

extension ConfigTreeReader {
    public mutating func error(_ location: SourceLocation, _ problem: PolicyProblem) {
        diagnostics.append(PolicyDiagnostic(location: location, problem: problem))
    }

    /// `dns.allow`, or `allow` at the top level.
    public func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    // MARK: Mappings

    /// The entries of a mapping by key, checked for kind, unknown keys (with a suggestion) and duplicates.
    public mutating func fields<Key: ConfigKey>(of node: YAMLNode, path: String, _: Key.Type, what: String? = nil)
        -> [Key: YAMLNode.Entry]?
    {
        guard let entries = uniqueEntries(of: node, path: path, what: what ?? path) else { return nil }
        var result: [Key: YAMLNode.Entry] = [:]
        for entry in entries {
            if let key = Key(rawValue: entry.key) {
                result[key] = entry
            } else {
                let suggestion = Suggestion.closest(to: entry.key, in: Key.allCases.map(\.rawValue))
                error(entry.keyLocation, .unknownKey(key: entry.key, section: path, suggestion: suggestion))
            }
        }
        return result
    }

    /// The entries of a mapping with duplicates reported and dropped (the first one counts).
    public mutating func uniqueEntries(of node: YAMLNode, path: String, what: String) -> [YAMLNode.Entry]? {
        guard case .mapping(let entries) = node.content else {
            error(node.location, .wrongType(field: what, expected: "a mapping", found: node.kindDescription))
            return nil
        }
        var seen: [String: SourceLocation] = [:]
        var unique: [YAMLNode.Entry] = []
        for entry in entries {
            if let first = seen[entry.key] {
                error(entry.keyLocation, .duplicateKey(key: entry.key, section: path, first: first))
                continue
            }
            seen[entry.key] = entry.keyLocation
            unique.append(entry)
        }
        return unique
    }

    // MARK: Values

    public mutating func sequence(_ node: YAMLNode, field: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            var found = node.kindDescription
            if case .scalar(let s) = node.content, s.isNull { found += " (write [] for an empty list)" }
            error(node.location, .wrongType(field: field, expected: "a list", found: found))
            return nil
        }
        return items
    }

    /// Any non-empty scalar as text (plain numbers included: a sandbox may be called `007`).
    public mutating func string(_ node: YAMLNode, field: String) -> String? {
        guard case .scalar(let scalar) = node.content, !scalar.isNull else {
            error(node.location, .wrongType(field: field, expected: "a string", found: node.kindDescription))
            return nil
        }
        return scalar.text
    }

    /// A plain decimal integer within `range`; a quoted number is a string, not a number.
    public mutating func integer(_ node: YAMLNode, field: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node.content, scalar.style == .plain, Self.isDecimalInteger(scalar.text) else {
            error(node.location, .wrongType(field: field, expected: "an integer", found: node.kindDescription))
            return nil
        }
        guard let value = Int(scalar.text), range.contains(value) else {
            error(
                node.location,
                .outOfRange(field: field, value: scalar.text, range: "\(range.lowerBound)-\(range.upperBound)"))
            return nil
        }
        return value
    }

    /// A plain finite decimal number (`1`, `0.75`, `-2.5e-3`); no hex, no `.inf`, no `nan`.
    public mutating func number(_ node: YAMLNode, field: String) -> Double? {
        guard case .scalar(let scalar) = node.content, scalar.style == .plain,
            !scalar.text.isEmpty,
            scalar.text.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45
            }),
            let value = Double(scalar.text), value.isFinite
        else {
            error(node.location, .wrongType(field: field, expected: "a number", found: node.kindDescription))
            return nil
        }
        return value
    }

    /// A plain `true` or `false`.
    public mutating func boolean(_ node: YAMLNode, field: String) -> Bool? {
        if case .scalar(let scalar) = node.content, scalar.style == .plain {
            if scalar.text == "true" { return true }
            if scalar.text == "false" { return false }
        }
        error(node.location, .wrongType(field: field, expected: "true or false", found: node.kindDescription))
        return nil
    }

    /// One of `choices`, by its raw value; a near miss gets a suggestion.
    public mutating func choice<T: RawRepresentable<String>>(_ node: YAMLNode, field: String, _ choices: [T]) -> T? {
        let words = choices.map(\.rawValue)
        guard case .scalar(let scalar) = node.content, !scalar.isNull else {
            error(
                node.location,
                .wrongType(
                    field: field, expected: "one of " + words.joined(separator: ", "), found: node.kindDescription))
            return nil
        }
        if let value = choices.first(where: { $0.rawValue == scalar.text }) { return value }
        let suggestion = Suggestion.closest(to: scalar.text, in: words)
        error(node.location, .invalidChoice(field: field, value: scalar.text, choices: words, suggestion: suggestion))
        return nil
    }

    static func isDecimalInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.hasPrefix("-") || digits.hasPrefix("+") { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
