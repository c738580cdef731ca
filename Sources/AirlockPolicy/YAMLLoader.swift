import CYAML

/// Reads one YAML document into a ``YAMLNode`` tree through libyaml's event parser.
///
/// The only file that touches libyaml; its pointers never leave this file. libyaml does the
/// tokenising (quoting, block scalars, flow collections, UTF-8 checks); this file keeps the
/// positions, builds the tree iteratively and refuses what a policy file must not contain:
///
/// - anchors and aliases: an alias expands to a copy of another subtree, so a few lines can
///   stand for billions of nodes (the "billion laughs" alias bomb), and in an allowlist they make
///   a reviewer chase references to see what is allowed. Refused at the first `&` or `*`.
/// - explicit tags (`!!str`, `!custom`): nothing in the schema needs one.
/// - more than one document, or none.
/// - nesting deeper than ``maxDepth`` (no schema path is deeper than 6; a cap keeps the recursive
///   deinit of a hostile `[[[[...]]]]` from exhausting the stack).
///
/// Errors stop the parse: the first one is thrown as a ``PolicyError`` with one diagnostic.
public enum YAMLLoader {
    public static let maxDepth = 32

    public static func load(bytes: [UInt8], file: String) throws(PolicyError) -> YAMLNode {
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard !bytes.isEmpty else {
            throw PolicyError([PolicyDiagnostic(location: start, problem: .emptyDocument)])
        }
        let result = bytes.withUnsafeBufferPointer { buffer in
            EventParser(input: buffer, file: file).run()
        }
        switch result {
        case .success(let node?): return node
        case .success(nil): throw PolicyError([PolicyDiagnostic(location: start, problem: .emptyDocument)])
        case .failure(let error): throw error
        }
    }
}

/// Drives `yaml_parser_parse` over an input buffer and assembles the tree with an explicit stack.
private struct EventParser {
    let input: UnsafeBufferPointer<UInt8>
    let file: String

    /// A collection being built. A class, so appending to the top of the stack mutates in place
    /// (an enum payload popped and pushed back would copy its array on every append: O(n²)).
    private final class Frame {
        let isSequence: Bool
        let location: SourceLocation
        var items: [YAMLNode] = []
        var entries: [YAMLNode.Entry] = []
        var pendingKey: (String, SourceLocation)?

        init(isSequence: Bool, at location: SourceLocation) {
            self.isSequence = isSequence
            self.location = location
        }

        var node: YAMLNode {
            YAMLNode(isSequence ? .sequence(items) : .mapping(entries), at: location)
        }
    }

    func run() -> Result<YAMLNode?, PolicyError> {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            return fail(
                diagnostic(at: 0, 0, .syntax(problem: "libyaml could not start", context: nil, contextLocation: nil)))
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_input_string(parser, input.baseAddress, input.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)

        var stack: [Frame] = []
        var root: YAMLNode?
        var documents = 0
        var event = yaml_event_t()

        while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                return fail(parserError(parser.pointee))
            }
            defer { yaml_event_delete(&event) }
            let here = location(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return .success(root)
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { return fail(PolicyDiagnostic(location: here, problem: .multipleDocuments)) }
            case YAML_ALIAS_EVENT:
                return fail(
                    PolicyDiagnostic(location: here, problem: .anchorOrAlias("*" + text(event.data.alias.anchor))))
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                if let problem = refuse(anchor: scalar.anchor, tag: scalar.tag) {
                    return fail(PolicyDiagnostic(location: here, problem: problem))
                }
                let value =
                    scalar.value.map {
                        String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
                    } ?? ""
                let node = YAMLNode(.scalar(.init(text: value, style: style(scalar.style))), at: here)
                if let failure = attach(node, to: &stack, root: &root) { return fail(failure) }
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isSequence = event.type == YAML_SEQUENCE_START_EVENT
                let anchor = isSequence ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                let tag = isSequence ? event.data.sequence_start.tag : event.data.mapping_start.tag
                if let problem = refuse(anchor: anchor, tag: tag) {
                    return fail(PolicyDiagnostic(location: here, problem: problem))
                }
                if let top = stack.last, !top.isSequence, top.pendingKey == nil {
                    return fail(
                        PolicyDiagnostic(
                            location: here, problem: .nonScalarKey(found: isSequence ? "a list" : "a mapping")))
                }
                guard stack.count < YAMLLoader.maxDepth else {
                    return fail(PolicyDiagnostic(location: here, problem: .tooDeep(limit: YAMLLoader.maxDepth)))
                }
                stack.append(Frame(isSequence: isSequence, at: here))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { break }
                let node = frame.node
                if let failure = attach(node, to: &stack, root: &root) { return fail(failure) }
            default:
                break  // stream start, document end, no-op
            }
        }
    }

    private func fail(_ diagnostic: PolicyDiagnostic) -> Result<YAMLNode?, PolicyError> {
        .failure(PolicyError([diagnostic]))
    }

    /// Adds a finished node to the collection being built (or makes it the document root).
    private func attach(_ node: YAMLNode, to stack: inout [Frame], root: inout YAMLNode?) -> PolicyDiagnostic? {
        guard let top = stack.last else {
            root = node
            return nil
        }
        if top.isSequence {
            top.items.append(node)
        } else if let (key, keyLocation) = top.pendingKey {
            top.entries.append(YAMLNode.Entry(key: key, keyLocation: keyLocation, value: node))
            top.pendingKey = nil
        } else {
            guard case .scalar(let scalar) = node.content else {
                return PolicyDiagnostic(location: node.location, problem: .nonScalarKey(found: node.kindDescription))
            }
            top.pendingKey = (scalar.text, node.location)
        }
        return nil
    }

    private func refuse(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?)
        -> PolicyProblem?
    {
        if let anchor { return .anchorOrAlias("&" + text(anchor)) }
        if let tag {
            // Shown the way it was most likely written: `!!str`, not `tag:yaml.org,2002:str`.
            let full = text(tag)
            let core = "tag:yaml.org,2002:"
            return .tag(full.hasPrefix(core) ? "!!" + full.dropFirst(core.count) : full)
        }
        return nil
    }

    private func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String {
        guard let pointer else { return "" }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    private func style(_ style: yaml_scalar_style_t) -> YAMLNode.ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: mark.line + 1, column: mark.column + 1)
    }

    private func diagnostic(at line0: Int, _ column0: Int, _ problem: PolicyProblem) -> PolicyDiagnostic {
        PolicyDiagnostic(location: SourceLocation(file: file, line: line0 + 1, column: column0 + 1), problem: problem)
    }

    /// Turns libyaml's error fields into a diagnostic at the place it names.
    private func parserError(_ parser: yaml_parser_t) -> PolicyDiagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        switch parser.error {
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset, not a mark.
            let (line, column) = lineAndColumn(ofByte: parser.problem_offset)
            let byte = parser.problem_value >= 0 ? Int(parser.problem_value) : nil
            return diagnostic(at: line, column, .notText(problem: problem, byte: byte))
        case YAML_MEMORY_ERROR:
            return diagnostic(at: 0, 0, .syntax(problem: "out of memory", context: nil, contextLocation: nil))
        default:
            let mark = parser.problem_mark
            if character(atLine: mark.line, column: mark.column) == 0x09 {
                return diagnostic(at: mark.line, mark.column, .tabIndentation)
            }
            let context = parser.context.map { String(cString: $0) }
            let contextLocation = context == nil ? nil : location(parser.context_mark)
            return diagnostic(
                at: mark.line, mark.column,
                .syntax(problem: problem, context: context, contextLocation: contextLocation))
        }
    }

    /// 0-based line and character column of a byte offset.
    private func lineAndColumn(ofByte offset: Int) -> (Int, Int) {
        var line = 0
        var column = 0
        var i = 0
        while i < min(offset, input.count) {
            let b = input[i]
            if b == 0x0A {
                line += 1
                column = 0
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }

    /// The first byte of the character at a 0-based line and character column, if there is one.
    private func character(atLine line: Int, column: Int) -> UInt8? {
        var currentLine = 0
        var currentColumn = 0
        var i = 0
        while i < input.count {
            let b = input[i]
            if currentLine == line && currentColumn == column && b & 0xC0 != 0x80 { return b }
            if b == 0x0A {
                if currentLine == line { return nil }
                currentLine += 1
                currentColumn = 0
            } else if b & 0xC0 != 0x80 && currentLine == line {
                currentColumn += 1
            }
            i += 1
        }
        return nil
    }
}
