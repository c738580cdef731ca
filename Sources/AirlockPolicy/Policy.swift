import AirlockEvents

/// A validated policy file: what both proxies enforce. Built only by ``PolicyLoader``; see the
/// module README for the schema, defaults, merge and precedence rules.
public struct Policy: Sendable {
    /// Hex SHA-256 of the exact file bytes: logged with decisions to tie them to the policy text.
    public let version: String
    /// The `version:` key of the file (the schema version, always 1 for now).
    public let schemaVersion: Int
    /// The file name or path it was loaded from.
    public let file: String
    /// The top-level policy: applies to clients no sandbox matches.
    public let defaults: SandboxPolicy
    /// Each sandbox with the top-level policy merged in, in file order.
    public let sandboxes: [SandboxPolicy]
    /// Engine threshold overrides from `detection:`, keys already checked against the engine's list.
    public let detection: [String: DetectionOverride]
    /// `dns.local_zones`: suffixes the resolvers' search lists add (a corporate domain, a cloud's
    /// internal zone) that the engine must never convict, on top of its built-in special-use zones.
    public let localZones: [String]
    /// Things that are legal but probably not meant (duplicate rules, rules a deny makes dead).
    public let warnings: [PolicyDiagnostic]
    /// The `fleet:` section: nil when this instance works alone.
    public let fleet: FleetPolicy?

    func with(warnings: [PolicyDiagnostic]) -> Policy {
        Policy(
            version: version, schemaVersion: schemaVersion, file: file, defaults: defaults, sandboxes: sandboxes,
            detection: detection, localZones: localZones, warnings: warnings, fleet: fleet)
    }

    /// The resolved policy for a client address: the sandbox whose `match` contains it, else the
    /// top-level policy. Sandbox prefixes never overlap (the loader refuses it), so at most one
    /// sandbox matches. IPv4-mapped IPv6 clients match IPv4 prefixes.
    public func sandbox(for client: IPAddress) -> SandboxPolicy {
        for sandbox in sandboxes where sandbox.match.contains(where: { $0.cidr.contains(client) }) {
            return sandbox
        }
        return defaults
    }

    /// The resolved policy of a sandbox by name (nil when there is none).
    public func sandbox(named name: String) -> SandboxPolicy? {
        sandboxes.first { $0.name == name }
    }
}
