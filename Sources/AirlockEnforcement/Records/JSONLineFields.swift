import AirlockEvents

/// The decision log's hot fields written straight into the output bytes: a line per query is the
/// default, so the time, client and name must not each build a `String`.
enum JSONLineFields {
    /// `"2026-11-24T20:55:33.494183Z"`; the part up to the second is formatted once per second.
    struct Clock {
        private var second: Int64 = .min
        private var prefix: [UInt8] = []

        mutating func append(_ time: Timestamp, to out: inout [UInt8]) {
            out.append(addingCapacity: 29) { append(time, to: &$0) }
        }

        /// The same, into an output span (at most 29 bytes).
        mutating func append(_ time: Timestamp, to out: inout OutputSpan<UInt8>) {
            let fraction = advance(to: time)
            out.append(UInt8(ascii: "\""))
            for b in prefix { out.append(b) }
            var divisor = 100_000
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
                divisor /= 10
            }
            out.append(UInt8(ascii: "Z"))
            out.append(UInt8(ascii: "\""))
        }

        /// Formats `time`'s second into ``prefix`` when it is not the last one; returns the microseconds.
        private mutating func advance(to time: Timestamp) -> Int {
            let micros = time.nanoseconds >= 0 ? time.nanoseconds / 1000 : (time.nanoseconds - 999) / 1000
            let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            if second != self.second {
                // The standard form, minus its fraction: "YYYY-MM-DDTHH:MM:SS."
                let full = Timestamp(nanoseconds: second * 1_000_000_000).description
                prefix = Array(full.utf8.prefix(20))
                self.second = second
            }
            return Int(micros - second * 1_000_000)
        }
    }

    /// An IPv4 endpoint into an output span (at most 23 bytes), as ``append(_:to:)-(Endpoint,_)`` writes it.
    static func append(_ endpoint: Endpoint, to out: inout OutputSpan<UInt8>) {
        guard case .v4(let v) = endpoint.address else { preconditionFailure("an IPv4 endpoint") }
        out.append(UInt8(ascii: "\""))
        appendDecimal(Int(v >> 24), to: &out)
        out.append(UInt8(ascii: "."))
        appendDecimal(Int((v >> 16) & 0xFF), to: &out)
        out.append(UInt8(ascii: "."))
        appendDecimal(Int((v >> 8) & 0xFF), to: &out)
        out.append(UInt8(ascii: "."))
        appendDecimal(Int(v & 0xFF), to: &out)
        out.append(UInt8(ascii: ":"))
        appendDecimal(Int(endpoint.port), to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Whether every label of `name` is plain (``append(_:to:)-(DNSName,_)`` would copy it whole).
    static func isPlain(_ name: DNSName) -> Bool {
        let wire = name.wire
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if !isPlain(wire[(i + 1)..<(i + 1 + n)]) { return false }
            i += n + 1
        }
        return true
    }

    /// A name whose labels are all plain (``isPlain(_:)-(DNSName)``) into an output span (at most
    /// its wire length + 3 bytes), as ``append(_:to:)-(DNSName,_)`` writes it.
    static func appendPlain(_ name: DNSName, to out: inout OutputSpan<UInt8>) {
        let wire = name.wire.span
        out.append(UInt8(ascii: "\""))
        if wire.isEmpty { out.append(UInt8(ascii: ".")) }
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if i > 0 { out.append(UInt8(ascii: ".")) }
            for j in (i + 1)..<(i + 1 + n) { out.append(wire[j]) }
            i += n + 1
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `"198.18.1.2:41000"`, or the general form for IPv6.
    static func append(_ endpoint: Endpoint, to out: inout [UInt8]) {
        guard endpoint.address.isIPv4 else {
            JSON.appendString(endpoint.description, to: &out)
            return
        }
        out.append(addingCapacity: 23) { append(endpoint, to: &$0) }
    }

    /// The name's presentation form (as ``DNSName/description``), escaped for JSON. A label of
    /// plain characters (nearly all) is copied whole; only a label with a byte that needs an escape
    /// is written byte by byte.
    static func append(_ name: DNSName, to out: inout [UInt8]) {
        let wire = name.wire
        out.append(UInt8(ascii: "\""))
        if wire.isEmpty { out.append(UInt8(ascii: ".")) }
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if i > 0 { out.append(UInt8(ascii: ".")) }
            let label = wire[(i + 1)..<(i + 1 + n)]
            if isPlain(label) {
                out.append(contentsOf: label)
            } else {
                appendEscaped(label, to: &out)
            }
            i += n + 1
        }
        out.append(UInt8(ascii: "\""))
    }

    /// No byte of `label` needs an escape in presentation form or in JSON.
    private static func isPlain(_ label: ArraySlice<UInt8>) -> Bool {
        for b in label where b < 0x21 || b > 0x7E || b == 0x2E || b == 0x5C || b == 0x22 { return false }
        return true
    }

    /// A label's bytes in presentation form with the JSON escapes on top.
    private static func appendEscaped(_ label: ArraySlice<UInt8>, to out: inout [UInt8]) {
        for b in label {
            switch b {
            case 0x2E:  // "." inside a label: \. (the backslash escaped for JSON)
                out.append(contentsOf: [0x5C, 0x5C, 0x2E])
            case 0x5C:  // "\": \\ → JSON \\\\
                out.append(contentsOf: [0x5C, 0x5C, 0x5C, 0x5C])
            case 0x22:  // '"': \" → JSON \\\"
                out.append(contentsOf: [0x5C, 0x5C, 0x5C, 0x22])
            case 0x21...0x7E:
                out.append(b)
            default:  // \DDD → JSON \\DDD
                out.append(contentsOf: [0x5C, 0x5C, 0x30 + b / 100, 0x30 + (b / 10) % 10, 0x30 + b % 10])
            }
        }
    }

    /// A non-negative integer's decimal digits into an output span.
    static func appendDecimal(_ value: Int, to out: inout OutputSpan<UInt8>) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// A non-negative integer's decimal digits, without building a string or a digit array.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        out.append(addingCapacity: 20) { appendDecimal(value, to: &$0) }
    }
}
