import AirlockEvents

/// Reads feed files into ``FeedTable``s. Lines it cannot use are skipped and counted, never fatal:
/// a feed with one odd line still blocks the rest (the count and the first reasons are reported).
///
/// RPZ (zone file syntax as BIND, Unbound, PowerDNS Recursor and Knot Resolver read it): `$ORIGIN`
/// and `$TTL`, owner names relative to the origin (or absolute with a trailing dot), `@`, a blank
/// owner repeating the previous one, optional TTL and class, `;` comments, parentheses over one line.
/// QNAME triggers only: `name CNAME .` (NXDOMAIN), `CNAME *.` (NODATA), `CNAME rpz-passthru.`,
/// `CNAME rpz-drop.`, and `*.name` wildcards. The zone's own SOA and NS are ignored; local data
/// (A, AAAA, TXT, CNAME to a name), IP, NSDNAME and NSIP triggers (`rpz-ip`, `rpz-nsdname`,
/// `rpz-client-ip`, …) and `rpz-tcp-only` are skipped and counted.
public enum FeedParser {
    public static func parse(
        _ bytes: [UInt8], id: String, name: String, path: String, format: FeedTable.Format
    ) -> FeedTable {
        var state = State()
        var lineNumber = 0
        var start = 0
        lines: while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            let line = String(decoding: bytes[start..<end], as: UTF8.self)
            switch format {
            case .rpz: state.rpz(line, lineNumber)
            case .hosts: state.hosts(line, lineNumber)
            case .domains: state.domains(line, lineNumber)
            }
            start = end + 1
            if end >= bytes.count { break lines }
        }
        return FeedTable(
            id: id, name: name, path: path, format: format, exact: state.exact, wildcard: state.wildcard,
            skipped: state.skipped, skippedExamples: state.examples)
    }

    struct State {
        var exact: [String: UInt64] = [:]
        var wildcard: [String: UInt64] = [:]
        var skipped = 0
        var examples: [String] = []
        var origin = ""
        var lastOwner: String?

        mutating func skip(_ line: Int, _ why: String) {
            skipped += 1
            if examples.count < 5 { examples.append("line \(line): \(why)") }
        }

        /// A trigger name in canonical form (lower case, no trailing dot), nil when it is no name.
        static func canonical(_ text: Substring) -> String? {
            var t = text.lowercased()
            if t.hasSuffix(".") { t.removeLast() }
            guard !t.isEmpty, let name = DNSName(t) else { return nil }
            return name.description
        }

        mutating func add(_ owner: String, _ action: FeedAction, _ line: Int) {
            let packed = FeedTable.pack(action, line: line)
            if owner.hasPrefix("*.") {
                guard let base = Self.canonical(owner.dropFirst(2)) else { return skip(line, "bad name '\(owner)'") }
                // The first entry for a trigger wins, as RPZ takes the first match in zone order.
                if wildcard[base] == nil { wildcard[base] = packed }
            } else {
                guard let name = Self.canonical(Substring(owner)) else { return skip(line, "bad name '\(owner)'") }
                if exact[name] == nil { exact[name] = packed }
            }
        }

        mutating func domains(_ raw: String, _ line: Int) {
            let text = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = words.first else { return }
            guard words.count == 1 else { return skip(line, "more than one word") }
            let word = String(first)
            let name = word.hasPrefix("*.") ? String(word.dropFirst(2)) : word
            add(name, .nxdomain, line)
            add("*." + name, .nxdomain, line)
        }

        mutating func hosts(_ raw: String, _ line: Int) {
            let text = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let address = words.first else { return }
            guard ["0.0.0.0", "127.0.0.1", "::", "::1", "0:0:0:0:0:0:0:0"].contains(String(address)) else {
                return skip(line, "address \(address) is local data, not a block")
            }
            for word in words.dropFirst() where !["localhost", "localhost.localdomain", "local", "broadcasthost",
                "ip6-localhost", "ip6-loopback", "0.0.0.0"].contains(word.lowercased()) {
                add(String(word), .nxdomain, line)
            }
        }

        mutating func rpz(_ raw: String, _ line: Int) {
            var text = Substring(raw)
            if let semicolon = text.firstIndex(of: ";") { text = text[..<semicolon] }
            text = Substring(String(text.map { $0 == "(" || $0 == ")" ? " " : $0 }))
            let startsBlank = text.first == " " || text.first == "\t"
            var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard !words.isEmpty else { return }
            if words[0].uppercased() == "$ORIGIN" {
                if words.count > 1 { origin = words[1].hasSuffix(".") ? String(words[1].dropLast()) : words[1] }
                return
            }
            if words[0].hasPrefix("$") { return }  // $TTL, $INCLUDE (not followed: feeds are one file)
            let owner: String
            if startsBlank {
                guard let last = lastOwner else { return skip(line, "record without an owner") }
                owner = last
            } else {
                let first = words.removeFirst()
                if first == "@" {
                    owner = origin
                } else if first.hasSuffix(".") {
                    owner = String(first.dropLast())
                } else {
                    owner = origin.isEmpty ? first : first + "." + origin
                }
                lastOwner = owner
            }
            // TTL and class in either order before the type.
            while let word = words.first, word.allSatisfy(\.isNumber) || ["IN", "CH", "HS"].contains(word.uppercased()) {
                words.removeFirst()
            }
            guard let type = words.first?.uppercased() else { return skip(line, "no record type") }
            if type == "SOA" || type == "NS" { return }
            // The trigger relative to the zone: an owner under the origin names the protected name.
            var trigger = owner
            if !origin.isEmpty {
                if owner == origin { return }  // apex records other than SOA/NS: nothing to trigger
                if owner.lowercased().hasSuffix("." + origin.lowercased()) {
                    trigger = String(owner.dropLast(origin.count + 1))
                }
            }
            let lowerTrigger = trigger.lowercased()
            for special in [".rpz-ip", ".rpz-nsdname", ".rpz-nsip", ".rpz-client-ip"] where lowerTrigger.hasSuffix(special) {
                return skip(line, "\(special.dropFirst()) triggers are not supported")
            }
            guard type == "CNAME", words.count >= 2 else {
                return skip(line, "\(type) local data is not supported (only the CNAME actions)")
            }
            switch words[1].lowercased() {
            case ".": add(trigger, .nxdomain, line)
            case "*.": add(trigger, .nodata, line)
            case "rpz-passthru.": add(trigger, .passthru, line)
            case "rpz-drop.": add(trigger, .drop, line)
            default: skip(line, "CNAME \(words[1]) (local data or rpz-tcp-only) is not supported")
            }
        }
    }
}
