/// Everything that can be wrong with a policy file, one case per kind of mistake.
///
/// Typed so tests and tools can tell mistakes apart; ``description`` is the message an operator
/// reads after `FILE:LINE:COL:`. Field paths use the rule-id notation of decisions
/// (`dns.allow[2]`, `sandboxes[0].http`), so an error and a logged decision name things alike.
public enum PolicyProblem: Hashable, Sendable, CustomStringConvertible {
    // Reading and YAML syntax.
    /// The file could not be read at all.
    case unreadable(reason: String)
    /// Larger than the loader accepts: a policy is a reviewed text file, not a data dump.
    case tooLarge(bytes: Int, limit: Int)
    /// Zero bytes, or only comments and blank lines.
    case emptyDocument
    /// More than one `---` document: which one applies would be a guess.
    case multipleDocuments
    /// Bytes libyaml refuses to read as UTF-8 text (binary data, a stray NUL, UTF-16 without BOM...).
    case notText(problem: String, byte: Int?)
    /// A libyaml scanner or parser error: its problem text and, if it gave one, its context.
    case syntax(problem: String, context: String?, contextLocation: SourceLocation?)
    /// A tab used to indent; YAML indentation is spaces only.
    case tabIndentation
    /// `&anchor` or `*alias`: rejected, see ``YAMLLoader``.
    case anchorOrAlias(String)
    /// An explicit `!tag`.
    case tag(String)
    /// Nesting beyond what any policy needs (guards the tree builder and deinit recursion).
    case tooDeep(limit: Int)
    /// A mapping key that is a list or mapping (`found` is "a list" or "a mapping").
    case nonScalarKey(found: String)

    // Shape.
    case duplicateKey(key: String, section: String, first: SourceLocation)
    case unknownKey(key: String, section: String, suggestion: String?)
    case missingKey(key: String, section: String)
    /// A value of the wrong YAML kind: `expected` and `found` are phrases like "a list", "a string".
    case wrongType(field: String, expected: String, found: String)
    /// A number outside its documented range.
    case outOfRange(field: String, value: String, range: String)
    /// A word that is not one of the allowed words (`mode: enforcing`).
    case invalidChoice(field: String, value: String, choices: [String], suggestion: String?)
    case unsupportedVersion(found: String)
    /// A value of the right kind that means nothing here (`metrics: {listen: nonsense}`).
    case invalidValue(field: String, value: String, expected: String)

    // Values.
    case badHostPattern(field: String, pattern: String, reason: String)
    case badCIDR(field: String, text: String, reason: String)
    case badRecordType(field: String, text: String, suggestion: String?)
    case badEndpoint(field: String, text: String, reason: String)
    case badSandboxName(name: String, reason: String)
    case duplicateSandboxName(name: String, first: SourceLocation)
    /// Two sandboxes claim overlapping client ranges: a client must map to exactly one sandbox.
    case overlappingSandboxes(
        cidr: String, sandbox: String, otherCIDR: String, otherSandbox: String, otherLocation: SourceLocation)
    case unknownDetectionKey(key: String, suggestion: String?, known: [String])
    /// A network address that is neither `HOST[:PORT]` nor `[IPv6][:PORT]` (`fleet.redis`).
    case badAddress(field: String, text: String, reason: String)
    /// A name that goes into keys, logs and metrics (`fleet.instance`, `fleet.key_prefix`).
    case badName(field: String, name: String, reason: String)
    /// A file the policy names that cannot be used (`fleet.password_file`, `fleet.tls.ca_file`).
    case unreadableFile(field: String, path: String, reason: String)
    /// A setting that applies to the whole proxy written inside a sandbox (`sandboxes[0].dns.local_zones`).
    case topLevelOnly(field: String)

    // Warnings: legal, but almost certainly not what was meant.
    /// The same rule twice in one list.
    case duplicateRule(field: String, rule: String, first: SourceLocation)
    /// An allow rule a deny rule with the same pattern always beats (deny wins ties).
    case shadowedRule(field: String, rule: String, by: String, at: SourceLocation)
    /// An HTTP allow rule whose names the same sandbox's DNS policy refuses: the proxy resolves
    /// through Airlock's DNS, so the request can never get an address.
    case httpAllowDeniedByDNS(field: String, rule: String, name: String, dnsRule: String, at: SourceLocation?)
    /// A feed file that cannot be read (an error: the policy is refused).
    case unreadableFeed(field: String, path: String, reason: String)
    /// Lines of a feed that were skipped (unsupported triggers, local data), with the first reasons.
    case feedLinesSkipped(field: String, path: String, skipped: Int, examples: [String])

    public var description: String {
        switch self {
        case .unreadable(let reason):
            return "cannot read policy file: \(reason)"
        case .tooLarge(let bytes, let limit):
            return "policy file is \(bytes) bytes; the limit is \(limit) bytes"
        case .emptyDocument:
            return "policy file is empty (no YAML document; at least 'version: 1' is required)"
        case .multipleDocuments:
            return "policy file holds more than one YAML document ('---'); put the whole policy in one"
        case .notText(let problem, let byte):
            let shown = byte.map { " (0x" + String($0, radix: 16) + ")" } ?? ""
            return "not a UTF-8 text file: \(problem)\(shown)"
        case .syntax(let problem, let context, let contextLocation):
            var text = "YAML syntax error: \(problem)"
            if let context {
                text += " " + context
                if let contextLocation { text += " started at \(contextLocation.shortDescription)" }
            }
            return text
        case .tabIndentation:
            return "tab character in indentation (YAML indents with spaces only)"
        case .anchorOrAlias(let text):
            return "YAML anchors and aliases are not supported ('\(text)'): write each rule out, "
                + "so a reviewer sees every entry where it applies"
        case .tag(let tag):
            return "YAML tags are not supported ('\(tag)')"
        case .tooDeep(let limit):
            return "nesting deeper than \(limit) levels"
        case .nonScalarKey(let found):
            return "mapping keys must be strings, found \(found)"
        case .duplicateKey(let key, let section, let first):
            return "duplicate key '\(key)' \(sectionPhrase(section)) (first at \(first.shortDescription))"
        case .unknownKey(let key, let section, let suggestion):
            return "unknown key '\(key)' \(sectionPhrase(section))" + didYouMean(suggestion)
        case .missingKey(let key, let section):
            return "missing required key '\(key)' \(sectionPhrase(section))"
        case .wrongType(let field, let expected, let found):
            return "\(field) must be \(expected), found \(found)"
        case .outOfRange(let field, let value, let range):
            return "\(field) is \(value); it must be \(range)"
        case .invalidChoice(let field, let value, let choices, let suggestion):
            return "\(field) is '\(value)'; it must be one of "
                + choices.joined(separator: ", ") + didYouMean(suggestion)
        case .invalidValue(let field, let value, let expected):
            return "\(field) is '\(value)'; it must be \(expected)"
        case .unsupportedVersion(let found):
            return "version is \(found); this Airlock reads policy version 1"
        case .badHostPattern(let field, let pattern, let reason):
            return "\(field): bad host pattern '\(pattern)': \(reason)"
        case .badCIDR(let field, let text, let reason):
            return "\(field): bad CIDR '\(text)': \(reason)"
        case .badRecordType(let field, let text, let suggestion):
            return "\(field): unknown DNS record type '\(text)'" + didYouMean(suggestion)
        case .badEndpoint(let field, let text, let reason):
            return "\(field): bad upstream '\(text)': \(reason)"
        case .badSandboxName(let name, let reason):
            return "bad sandbox name '\(name)': \(reason)"
        case .duplicateSandboxName(let name, let first):
            return "duplicate sandbox name '\(name)' (first at \(first.shortDescription))"
        case .overlappingSandboxes(let cidr, let sandbox, let otherCIDR, let otherSandbox, let otherLocation):
            let owner = sandbox == otherSandbox ? "" : " of sandbox '\(otherSandbox)'"
            return "\(cidr) in sandbox '\(sandbox)' overlaps \(otherCIDR)\(owner) "
                + "(at \(otherLocation.shortDescription)); a client address must belong to one sandbox"
        case .topLevelOnly(let field):
            return "'\(field)' applies to every sandbox (one engine judges them all); write it at the top level"
        case .unknownDetectionKey(let key, let suggestion, let known):
            if known.isEmpty {
                return "unknown detection key '\(key)' (this build accepts no detection overrides)"
            }
            return "unknown detection key '\(key)'" + didYouMean(suggestion)
                + "; known keys: " + known.joined(separator: ", ")
        case .badAddress(let field, let text, let reason):
            return "\(field): bad address '\(text)': \(reason)"
        case .badName(let field, let name, let reason):
            return "\(field): bad name '\(name)': \(reason)"
        case .unreadableFile(let field, let path, let reason):
            return "\(field): cannot use \(path): \(reason)"
        case .duplicateRule(let field, let rule, let first):
            return "\(field): '\(rule)' is listed twice (first at \(first.shortDescription))"
        case .shadowedRule(let field, let rule, let by, let at):
            return "\(field): allow rule '\(rule)' never applies: deny rule \(by) (at \(at.shortDescription)) "
                + "has the same pattern, and deny wins ties"
        case .httpAllowDeniedByDNS(let field, let rule, let name, let dnsRule, let at):
            return "\(field): allow rule '\(rule)' can never work: the HTTP proxy resolves \(name) through Airlock's "
                + "DNS, and \(dnsRule)" + (at.map { " (at \($0.shortDescription))" } ?? " (built-in default)")
                + " denies it; allow the name in dns too"
        case .unreadableFeed(let field, let path, let reason):
            return "\(field): cannot read feed \(path): \(reason)"
        case .feedLinesSkipped(let field, let path, let skipped, let examples):
            return "\(field): \(skipped) line\(skipped == 1 ? "" : "s") of \(path) skipped (\(examples.joined(separator: "; ")))"
        }
    }
}

/// "in dns", or "at the top level" for the empty section path.
private func sectionPhrase(_ section: String) -> String {
    section.isEmpty ? "at the top level" : "in \(section)"
}

private func didYouMean(_ suggestion: String?) -> String {
    suggestion.map { " (did you mean '\($0)'?)" } ?? ""
}

/// One error or warning at one place in a policy file.
public struct PolicyDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case error
        case warning
    }

    public var location: SourceLocation
    public var problem: PolicyProblem
    public var severity: Severity

    public init(location: SourceLocation, problem: PolicyProblem, severity: Severity = .error) {
        self.location = location
        self.problem = problem
        self.severity = severity
    }

    /// `FILE:LINE:COL: message`, or `FILE:LINE:COL: warning: message`.
    public var description: String {
        severity == .error ? "\(location): \(problem)" : "\(location): warning: \(problem)"
    }
}

/// Why a policy was refused: every error found, in file order (not just the first), so one run of
/// `airlock check-policy` shows everything to fix.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    /// At least one entry; all have severity `.error`.
    public var diagnostics: [PolicyDiagnostic]

    public init(_ diagnostics: [PolicyDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One `FILE:LINE:COL: message` line per error.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
