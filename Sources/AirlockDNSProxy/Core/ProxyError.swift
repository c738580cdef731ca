import AirlockPolicy

#if canImport(Glibc)
    import Glibc
#endif

/// Why the proxy could not start or reload.
public enum ProxyError: Error, CustomStringConvertible {
    /// A system call failed.
    case system(call: String, errno: Int32)
    /// Neither the policy nor the command line names an upstream resolver.
    case noUpstreams
    /// Nothing to listen on.
    case noListeners
    /// The policy file does not load.
    case policy(PolicyError)

    public var description: String {
        switch self {
        case .system(let call, let code):
            return "\(call): \(String(cString: strerror(code)))"
        case .noUpstreams:
            return "no upstream resolvers: set dns.upstreams in the policy or pass --upstream ADDRESS[:PORT]"
        case .noListeners:
            return "nothing to listen on: pass --listen ADDRESS:PORT"
        case .policy(let error):
            return error.diagnostics.map(\.description).joined(separator: "\n")
        }
    }
}
