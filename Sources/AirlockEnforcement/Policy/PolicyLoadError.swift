import AirlockPolicy

/// Why a policy cannot be put in force: the file does not validate, or some sandbox would have no
/// upstream resolver. On a reload the running policy stays.
public enum PolicyLoadError: Error, CustomStringConvertible {
    /// The policy file does not load: every problem with its `file:line:column`.
    case invalid(PolicyError)
    /// Neither the policy nor the command line names an upstream resolver.
    case noUpstreams

    public var description: String {
        switch self {
        case .invalid(let error):
            return error.diagnostics.map(\.description).joined(separator: "\n")
        case .noUpstreams:
            return "no upstream resolvers: set dns.upstreams in the policy or pass --upstream ADDRESS[:PORT]"
        }
    }
}
