import AirlockEvents

// The decoded-but-not-merged form of a policy file: the YAML tree checked field by field into typed
// values, every field optional (absent means "inherit"). ``PolicyBuilder`` layers built-in defaults,
// the top level and each sandbox into the resolved ``SandboxPolicy`` values.

/// A setting's value with its id and where it was written.
struct Located<Value: Sendable>: Sendable {
    var value: Value
    var origin: SettingOrigin
}

struct RawBudget {
    var bytes: Located<Int>?
    var windowSeconds: Located<Int>?
}

struct RawDNS {
    var defaultAction: Located<DefaultAction>?
    var blockResponse: Located<BlockResponse>?
    var allow: [PolicyRule] = []
    var deny: [PolicyRule] = []
    /// nil value inside: `all`.
    var allowedTypes: Located<Set<UInt16>?>?
    var quarantineSeconds: Located<Int>?
    var leakBudget = RawBudget()
    var privateAnswersAllowed: [PolicyRule] = []
    var upstreams: Located<[Endpoint]>?
    var timeoutMilliseconds: Located<Int>?
    var attempts: Located<Int>?
    var feeds: [RawFeed] = []
    /// `dns.local_zones` (top level only): suffixes the engine never convicts, lower-cased.
    var localZones: [String] = []
}

/// One `dns.feeds` entry as written: the file is read by the builder.
struct RawFeed {
    var id: String
    var name: String
    var path: String
    var format: FeedTable.Format
    var location: SourceLocation
}

struct RawHTTP {
    var defaultAction: Located<DefaultAction>?
    var allow: [PolicyRule] = []
    var deny: [PolicyRule] = []
    var dohEndpoints: [PolicyRule] = []
    var allowPrivateDestinations: [CIDRRule] = []
    var uploadBudget = RawBudget()
    var informationBudget = RawBudget()
}

struct RawSandbox {
    var path: String
    var location: SourceLocation
    var name: Located<String>?
    var match: [CIDRRule] = []
    var mode: Located<PolicyMode>?
    var dns = RawDNS()
    var http = RawHTTP()
}

struct RawPolicy {
    var version: Located<Int>?
    var mode: Located<PolicyMode>?
    var dns = RawDNS()
    var http = RawHTTP()
    var detection: [String: DetectionOverride] = [:]
    var sandboxes: [RawSandbox] = []
    var fleet: RawFleet?
}

/// The `fleet:` section as written: the settings, and the files the builder reads (the password) or
/// checks (the CA), with where each was named.
struct RawFleet {
    var policy: FleetPolicy
    var passwordFile: Located<String>?
    var caFile: Located<String>?
}
