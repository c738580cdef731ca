import CPSL

/// The Public Suffix List through libpsl: the only file that touches libpsl's pointers.
///
/// Uses the list Debian's `publicsuffix` package installs when present (newer), else the copy
/// compiled into libpsl. Private-section suffixes count (e.g. `duckdns.org`), so `a.duckdns.org`
/// and `b.duckdns.org` are different registered domains, as they have different owners.
public final class PublicSuffixList: @unchecked Sendable {
    // @unchecked: the context is immutable after creation and libpsl's lookups are thread-safe.
    private let context: OpaquePointer

    /// The shared list (loaded once per process).
    public static let shared = PublicSuffixList()

    private init() {
        if let latest = unsafe psl_latest(nil) {
            context = latest
            ownsContext = true
        } else {
            context = unsafe psl_builtin()
            ownsContext = false
        }
    }

    private let ownsContext: Bool

    deinit {
        if ownsContext { unsafe psl_free(context) }
    }

    /// Whether `suffix` (lower case, no trailing dot) is explicitly listed, ignoring the implicit `*` rule.
    public func isListedSuffix(_ suffix: String) -> Bool {
        unsafe psl_is_public_suffix2(context, suffix, Int32(PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE)) != 0
    }

    /// Whether `suffix` (lower case, no trailing dot) is a public suffix in the sense
    /// `psl_registrable_domain` uses while it walks a name (both sections, the implicit `*` rule
    /// included): asking this of each suffix from the left gives the same registrable domain.
    public func isPublicSuffix(_ suffix: String) -> Bool {
        unsafe psl_is_public_suffix2(context, suffix, 0) != 0
    }

    /// The registrable domain (eTLD+1) of `name` (lower case, no trailing dot), or nil when the name
    /// is itself a public suffix.
    public func registrableDomain(of name: String) -> String? {
        name.withCString { cName in
            guard let result = unsafe psl_registrable_domain(context, cName) else { return nil }
            return unsafe String(cString: result)
        }
    }
}
