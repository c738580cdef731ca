/// Reads request targets and Host values into ``HTTPAuthority`` and a path, strictly: the host the
/// proxy checks against policy must be the host it connects to, so anything two readers could take
/// differently (userinfo, percent-encoded or odd host bytes, fragments, a missing port on CONNECT)
/// is refused rather than normalised.
enum RequestTargetParser {
    /// The target of a request line, by form. CONNECT must use authority-form, and authority-form
    /// is accepted only with CONNECT.
    static func target(_ bytes: Span<UInt8>, _ range: Range<Int>, isConnect: Bool, limits: HTTPLimits)
        -> Result<RequestTarget, HTTPParseError>
    {
        guard !range.isEmpty else { return .failure(.invalidTarget) }
        guard range.count <= limits.maxTargetBytes else { return .failure(.targetTooLong) }
        for i in range where !ByteClass.visible[Int(bytes[i])] { return .failure(.invalidTarget) }
        for i in range where bytes[i] == UInt8(ascii: "#") { return .failure(.invalidTarget) }
        let first = bytes[range.lowerBound]
        if isConnect {
            guard first != UInt8(ascii: "/") else { return .failure(.targetFormMismatch) }
            return authority(bytes, range, defaultPort: nil).map { .authority($0) }
        }
        if first == UInt8(ascii: "/") { return .success(.origin(path: bytes.string(range))) }
        if range.count == 1 && first == UInt8(ascii: "*") { return .success(.asterisk) }
        // absolute-form: scheme "://" authority [path-abempty] ["?" query]
        var colon = range.lowerBound
        while colon < range.upperBound && bytes[colon] != ByteClass.colon { colon += 1 }
        guard colon < range.upperBound, colon + 2 < range.upperBound, bytes[colon + 1] == UInt8(ascii: "/"),
            bytes[colon + 2] == UInt8(ascii: "/")
        else {
            // `host:port` without CONNECT, or no scheme at all.
            return .failure(colon < range.upperBound ? .targetFormMismatch : .invalidTarget)
        }
        let scheme = range.lowerBound..<colon
        guard bytes.equalsIgnoringCase(scheme, "http") else {
            return .failure(scheme.isEmpty ? .invalidTarget : .unsupportedScheme)
        }
        let authorityStart = colon + 3
        var authorityEnd = authorityStart
        while authorityEnd < range.upperBound && bytes[authorityEnd] != UInt8(ascii: "/")
            && bytes[authorityEnd] != UInt8(ascii: "?")
        {
            authorityEnd += 1
        }
        let authority: HTTPAuthority
        switch self.authority(bytes, authorityStart..<authorityEnd, defaultPort: 80) {
        case .success(let parsed): authority = parsed
        case .failure(let error): return .failure(error)
        }
        var path = bytes.string(authorityEnd..<range.upperBound)
        if path.isEmpty {
            path = "/"
        } else if path.hasPrefix("?") {
            path = "/" + path
        }
        return .success(.absolute(authority, path: path))
    }

    /// `host[:port]` with host a name of letters, digits, `-`, `_`, `.`, or `[IPv6]`.
    /// `defaultPort` nil means the port is required (CONNECT).
    static func authority(_ bytes: Span<UInt8>, _ range: Range<Int>, defaultPort: UInt16?)
        -> Result<HTTPAuthority, HTTPParseError>
    {
        guard !range.isEmpty else { return .failure(.invalidHost) }
        for i in range where bytes[i] == UInt8(ascii: "@") { return .failure(.userinfoInTarget) }
        var hostRange: Range<Int>
        var rest: Range<Int>
        var isIPv6 = false
        if bytes[range.lowerBound] == UInt8(ascii: "[") {
            var close = range.lowerBound + 1
            while close < range.upperBound && bytes[close] != UInt8(ascii: "]") { close += 1 }
            guard close < range.upperBound, close > range.lowerBound + 1 else { return .failure(.invalidHost) }
            hostRange = (range.lowerBound + 1)..<close
            for i in hostRange {
                let b = bytes[i]
                let ok = ByteClass.hexValue(b) != nil || b == ByteClass.colon || b == UInt8(ascii: ".")
                guard ok else { return .failure(.invalidHost) }
            }
            rest = (close + 1)..<range.upperBound
            isIPv6 = true
        } else {
            var colon = range.lowerBound
            while colon < range.upperBound && bytes[colon] != ByteClass.colon { colon += 1 }
            hostRange = range.lowerBound..<colon
            rest = colon..<range.upperBound
            guard !hostRange.isEmpty else { return .failure(.invalidHost) }
            for i in hostRange where !ByteClass.hostName[Int(bytes[i])] { return .failure(.invalidHost) }
        }
        let port: UInt16
        if rest.isEmpty {
            guard let defaultPort else { return .failure(.invalidPort) }
            port = defaultPort
        } else {
            guard bytes[rest.lowerBound] == ByteClass.colon else { return .failure(.invalidHost) }
            let digits = (rest.lowerBound + 1)..<rest.upperBound
            guard let value = Self.port(bytes, digits) else { return .failure(.invalidPort) }
            port = value
        }
        var host = bytes.bytes(hostRange)
        for k in host.indices { host[k] = ByteClass.lower(host[k]) }
        return .success(HTTPAuthority(host: String(decoding: host, as: UTF8.self), port: port, isIPv6Literal: isIPv6))
    }

    /// 1 to 5 decimal digits, 1...65535.
    static func port(_ bytes: Span<UInt8>, _ range: Range<Int>) -> UInt16? {
        guard !range.isEmpty, range.count <= 5 else { return nil }
        var value = 0
        for i in range {
            let b = bytes[i]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        guard value >= 1 && value <= 65_535 else { return nil }
        return UInt16(value)
    }
}
