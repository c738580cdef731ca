import AirlockDigest
import AirlockEngine

/// Turns a policy file into a validated ``Policy``, or a ``PolicyError`` listing every problem.
///
/// Three stages, as in Smokescreen: YAML text → node tree (``YAMLLoader``, the libyaml boundary) →
/// schema-checked raw sections (``PolicyDecoder``) → resolved, cross-checked policy
/// (``PolicyBuilder``). YAML syntax errors stop at the first (the parser cannot go on); schema and
/// value errors are all collected and reported in file order.
public enum PolicyLoader {
    /// The `detection:` keys the engine accepts (``DetectionConfiguration/tunableKeys``): what
    /// callers pass as `knownDetectionKeys` to let the policy tune the engine.
    public static var engineDetectionKeys: Set<String> { Set(DetectionConfiguration.tunableKeys.keys) }

    /// Policies are reviewed text; 4 MiB holds some 100 000 rules.
    public static let maxFileBytes = 4 * 1024 * 1024

    /// Loads the file at `path`. Messages name the path as given.
    ///
    /// - Parameter knownDetectionKeys: the engine thresholds `detection:` may override; any other
    ///   key is an error ("unknown detection key"). Empty accepts none.
    public static func load(path: String, knownDetectionKeys: Set<String> = []) throws(PolicyError) -> Policy {
        switch FileReader.read(path: path, limit: maxFileBytes) {
        case .success(let bytes):
            return try load(bytes: bytes, name: path, knownDetectionKeys: knownDetectionKeys)
        case .failure(.system(let reason)):
            throw PolicyError([PolicyDiagnostic(location: .wholeFile(path), problem: .unreadable(reason: reason))])
        case .failure(.tooLarge(let count)):
            throw PolicyError([
                PolicyDiagnostic(location: .wholeFile(path), problem: .tooLarge(bytes: count, limit: maxFileBytes))
            ])
        }
    }

    /// Loads policy text held in memory; `name` stands for the file name in messages.
    public static func load(text: String, name: String, knownDetectionKeys: Set<String> = []) throws(PolicyError)
        -> Policy
    {
        try load(bytes: Array(text.utf8), name: name, knownDetectionKeys: knownDetectionKeys)
    }

    /// Loads policy bytes; ``Policy/version`` is the SHA-256 of exactly these bytes.
    public static func load(bytes: [UInt8], name: String, knownDetectionKeys: Set<String> = []) throws(PolicyError)
        -> Policy
    {
        guard bytes.count <= maxFileBytes else {
            throw PolicyError([
                PolicyDiagnostic(
                    location: .wholeFile(name), problem: .tooLarge(bytes: bytes.count, limit: maxFileBytes))
            ])
        }
        let root = try YAMLLoader.load(bytes: bytes, file: name)
        var decoder = PolicyDecoder(knownDetectionKeys: knownDetectionKeys)
        let raw = decoder.decode(root)
        var builder = PolicyBuilder()
        let policy = builder.build(raw, version: SHA256.hexDigest(of: bytes), file: name)
        let errors = inFileOrder(decoder.diagnostics + builder.errors)
        guard errors.isEmpty else { throw PolicyError(errors) }
        return policy.with(warnings: inFileOrder(policy.warnings))
    }

    /// Sorted by line and column; diagnostics at the same place keep their order.
    public static func inFileOrder(_ diagnostics: [PolicyDiagnostic]) -> [PolicyDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            (a.element.location.line, a.element.location.column, a.offset)
                < (b.element.location.line, b.element.location.column, b.offset)
        }.map(\.element)
    }
}
