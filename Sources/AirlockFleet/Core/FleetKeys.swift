import AirlockEnforcement
import AirlockEvents

/// The names of everything Airlock keeps in Redis, under one prefix (`airlock` by default):
///
/// - `PREFIX:convictions`: a stream of convictions, trimmed to `max_convictions` entries (oldest
///   dropped first), expiring when no conviction was added for the longest quarantine;
/// - `PREFIX:budget:WINDOW_SECONDS:WINDOW:SCOPE:KIND:LABELS:DOMAIN`: one integer counter of bytes of
///   name information per budget key and fixed window (aligned to the Unix epoch), created with an
///   expiry of two windows and a minute, so a window's counters outlive it just long enough to be
///   the next window's "previous". `SCOPE` is `*` (every sandbox) or `s=NAME`; `KIND` and `LABELS`
///   keep domains of different kinds apart (`r` registered, `u` unlisted suffix, `s` suffix only, `a`
///   server address).
public struct FleetKeys: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    public var convictions: String { prefix + ":convictions" }

    public func budget(_ key: FleetBudgetKey, window: Int64, windowSeconds: Int) -> String {
        let scope = key.sandbox.map { "s=" + $0 } ?? "*"
        return "\(prefix):budget:\(windowSeconds):\(window):\(scope):\(Self.kindCode(key.domain.kind)):"
            + "\(key.domain.labelCount):\(key.domain.value)"
    }

    static func kindCode(_ kind: DomainKey.Kind) -> String {
        switch kind {
        case .registeredDomain: return "r"
        case .unlistedSuffix: return "u"
        case .suffixOnly: return "s"
        case .serverAddress: return "a"
        }
    }
}
