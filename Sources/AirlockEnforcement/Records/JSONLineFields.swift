import AirlockEvents

/// The decision log's hot fields written straight into the output bytes: a line per query is the
/// default, so the time, client and name must not each build a `String`.
enum JSONLineFields {
    /// `"2026-11-24T20:55:33.494183Z"`; the part up to the second is formatted once per second.
    struct Clock {
        private var second: Int64 = .min
        private var prefix: [UInt8] = []

        mutating func append(_ time: Timestamp, to out: inout [UInt8]) {
            let micros = time.nanoseconds >= 0 ? time.nanoseconds / 1000 : (time.nanoseconds - 999) / 1000
            let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            if second != self.second {
                // The standard form, minus its fraction: "YYYY-MM-DDTHH:MM:SS."
                let full = Timestamp(nanoseconds: second * 1_000_000_000).description
                prefix = Array(full.utf8.prefix(20))
                self.second = second
            }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: prefix)
            let fraction = Int(micros - second * 1_000_000)
            var divisor = 100_000
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
                divisor /= 10
            }
            out.append(UInt8(ascii: "Z"))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// `"198.18.1.2:41000"`, or the general form for IPv6.
    static func append(_ endpoint: Endpoint, to out: inout [UInt8]) {
        guard case .v4(let v) = endpoint.address else {
            JSON.appendString(endpoint.description, to: &out)
            return
        }
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

    /// The name's presentation form (as ``DNSName/description``), escaped for JSON.
    static func append(_ name: DNSName, to out: inout [UInt8]) {
        let wire = name.wire
        out.append(UInt8(ascii: "\""))
        if wire.isEmpty { out.append(UInt8(ascii: ".")) }
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if i > 0 { out.append(UInt8(ascii: ".")) }
            for b in wire[(i + 1)..<(i + 1 + n)] {
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
            i += n + 1
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A non-negative integer's decimal digits, without building a string or a digit array.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
