/// A YAML document as a plain tree whose every node knows where it was written.
///
/// Deliberately small: scalars stay text (typing happens in the policy decoder, which knows what each
/// field should be), mapping entries keep their order and any duplicates (so the decoder can report a
/// duplicate key at the section it belongs to), and anchors, aliases and tags never reach it.
public struct YAMLNode: Hashable, Sendable {
    /// How a scalar was written; quoting decides whether `600` is a number or a string.
    public enum ScalarStyle: Hashable, Sendable {
        case plain
        case singleQuoted
        case doubleQuoted
        case literal
        case folded
    }

    public struct Scalar: Hashable, Sendable {
        public var text: String
        public var style: ScalarStyle

        public init(text: String, style: ScalarStyle) {
            self.text = text
            self.style = style
        }

        /// A plain `~`, `null` or nothing at all (`key:` with no value): YAML's null.
        public var isNull: Bool {
            style == .plain && (text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL")
        }
    }

    /// One `key: value` pair; keys are scalars (the loader rejects collection keys).
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: YAMLNode

        public init(key: String, keyLocation: SourceLocation, value: YAMLNode) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    public enum Content: Hashable, Sendable {
        case scalar(Scalar)
        case sequence([YAMLNode])
        case mapping([Entry])
    }

    public var content: Content
    /// Where the node starts (for collections: the `[`, `{`, first `-` or first key).
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    /// "a string", "a list", "a mapping", "an empty value": for messages of the form "must be X, found Y".
    public var kindDescription: String {
        switch content {
        case .scalar(let s):
            if s.isNull { return "an empty value" }
            if s.style == .plain, Int(s.text) != nil || Double(s.text) != nil { return "a number (\(s.text))" }
            if s.style == .plain, s.text == "true" || s.text == "false" { return "a boolean (\(s.text))" }
            let shown = s.text.count > 40 ? s.text.prefix(40) + "..." : Substring(s.text)
            return "a string ('\(shown)')"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
