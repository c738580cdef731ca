import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A tap between `airlock serve` and NSD: every query it receives is written to a file as
/// `TRANSPORT HEX`, then relayed to NSD, whose answer goes back. What the file holds is exactly what
/// an upstream resolver (and the zone behind it) would have seen. Stops by itself after 120 s.
private let recordingTap = """
    import socket, sys, threading, time
    port, nsd, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lock = threading.Lock()
    def record(transport, q):
        with lock, open(log, "a") as f:
            f.write(transport + " " + q.hex() + "\\n")
    def read_exact(c, n):
        data = b""
        while len(data) < n:
            chunk = c.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data
    def tcp_client(c):
        try:
            c.settimeout(5)
            while True:
                q = read_exact(c, int.from_bytes(read_exact(c, 2), "big"))
                record("tcp", q)
                u = socket.create_connection(("127.0.0.1", nsd), 3)
                u.sendall(len(q).to_bytes(2, "big") + q)
                a = read_exact(u, int.from_bytes(read_exact(u, 2), "big"))
                u.close()
                c.sendall(len(a).to_bytes(2, "big") + a)
        except OSError:
            pass
        c.close()
    def tcp():
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(("127.0.0.1", port))
        l.listen(16)
        while True:
            c, _ = l.accept()
            threading.Thread(target=tcp_client, args=(c,), daemon=True).start()
    threading.Thread(target=tcp, daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(1)
    end = time.time() + 120
    while time.time() < end:
        try:
            q, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        record("udp", q)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        u.sendto(q, ("127.0.0.1", nsd))
        try:
            s.sendto(u.recv(65535), peer)
        except OSError:
            pass
        u.close()
    """

/// A query for `name` (labels as given, case kept) with an OPT record carrying `options`, and
/// `trailing` bytes after the message.
private func queryWithOptions(
    _ name: String, id: UInt16, options: [(UInt16, [UInt8])], trailing: [UInt8] = [], extraRecords: [UInt8]? = nil
) -> [UInt8] {
    var out = queryBytes(name, id: id)
    var rdata: [UInt8] = []
    for (code, data) in options {
        rdata += [UInt8(code >> 8), UInt8(code & 0xFF), UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
    }
    if let extraRecords {
        out[7] = 1  // ANCOUNT: the record sits in the answer section, before the OPT record
        out += extraRecords
    }
    out[11] = 1
    out += [0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
    return out + trailing
}

/// One query over TCP to 127.0.0.1:`port`; the answer, or nil.
private func tcpExchange(_ bytes: [UInt8], port: UInt16) -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var tv = timeval(tv_sec: 3, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return nil }
    let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    guard framed.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == framed.count else { return nil }
    var buffer = [UInt8](repeating: 0, count: 65_538)
    var have = 0
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, $0.count - have, 0) }
        guard n > 0 else { return nil }
        have += n
        if have >= 2, have >= 2 + (Int(buffer[0]) << 8 | Int(buffer[1])) {
            return Array(buffer[2..<(2 + (Int(buffer[0]) << 8 | Int(buffer[1])))])
        }
    }
}

/// The question name's bytes (offset 12 to its root label) of a message.
private func questionName(_ bytes: [UInt8]) -> [UInt8] {
    var i = 12
    while i < bytes.count && bytes[i] != 0 { i += Int(bytes[i]) + 1 }
    return Array(bytes[12...min(i, bytes.count - 1)])
}

private func hexBytes(_ hex: Substring) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
        out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

/// Issue #11 findings 1 and 2 with a real upstream: what `airlock serve` sends NSD, recorded on the way.
extension DNSProxyIntegration {
    @Suite(.serialized, .enabled(if: Lab.enabled(["nsd", "python3"], root: false), "needs nsd and python3"))
    struct UpstreamBytesTests {
        @Test func onlyALowerCaseQuestionAndACleanOPTRecordReachTheUpstream() throws {
            let lab = try Lab()
            let nsdPort = Lab.freePort()
            let tapPort = Lab.freePort()
            let port = Lab.freePort()
            // TTL 0: answers an attacker's zone would give, so no cache hides a query from the upstream.
            let zone = exampleZone + "ttl0 0 IN A 93.184.216.35\n"
            try lab.startNSD("127.0.0.1@\(nsdPort)", zones: [("example.com", zone)])
            let tap = try lab.write("tap.py", recordingTap)
            let tapLog = lab.path("tap.log")
            try lab.start("/usr/bin/python3", [tap, "\(tapPort)", "\(nsdPort)", tapLog], log: "tap")
            #expect(Lab.waitFor(5) { udpExchange(queryBytes("www.example.com", id: 1), port: tapPort) != nil })
            let policy = try lab.write(
                "policy.yaml",
                """
                version: 1
                mode: enforce
                dns:
                  default: allow
                  upstreams: ["127.0.0.1:\(tapPort)"]
                  timeout_ms: 1000
                  attempts: 1
                """)
            let proxy = try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(port)"])
            let before = lab.read("tap.log").split(separator: "\n").count

            // 1. 300 case patterns of one name: one casing reaches the upstream; each client gets its own back.
            let letters = Array("ttlexamplecom")
            var answered = 0
            for pattern in 1...300 {
                let chars = letters.enumerated().map { i, c in pattern >> i & 1 == 1 ? Character(c.uppercased()) : c }
                let name = String(chars[0..<3]) + "0." + String(chars[3..<10]) + "." + String(chars[10...])
                let query = queryBytes(name, id: UInt16(pattern))
                guard let answer = udpExchange(query, port: port), answer.count > 12 else { continue }
                if answer[3] & 0x0F == 0 && questionName(answer) == questionName(query) { answered += 1 }
            }
            #expect(answered == 300)

            // 2. An unknown option of 3,000 bytes, padding filled with data, a cookie, 40 bytes of junk after.
            let junk = queryWithOptions(
                "opt.example.com", id: 0x0A0A,
                options: [
                    (65_001, [UInt8](repeating: 0x5A, count: 3000)), (12, Array("secret in the padding".utf8)),
                    (10, [1, 2, 3, 4, 5, 6, 7, 8]),
                ], trailing: [UInt8](repeating: 0xEE, count: 40))
            let junkAnswer = udpExchange(junk, port: port)
            #expect(junkAnswer?[0] == 0x0A && junkAnswer.map { $0[3] & 0x0F } == 3, "NXDOMAIN from NSD")
            // 3. Over TCP: an option of 8,000 bytes.
            let big = queryWithOptions(
                "tcp.example.com", id: 0x0B0B, options: [(65_002, [UInt8](repeating: 0x41, count: 8000))])
            #expect(tcpExchange(big, port: port)?[0] == 0x0B)
            // 4. A query carrying a record in its answer section: FORMERR, nothing forwarded.
            let record: [UInt8] = [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 5, 4] + Array("data".utf8)
            let carrying = queryWithOptions("rec.example.com", id: 0x0C0C, options: [], extraRecords: record)
            #expect(udpExchange(carrying, port: port).map { $0[3] & 0x0F } == 1)

            let optName = [3] + Array("opt".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]
            let tcpName = [3] + Array("tcp".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]
            func tapped() -> [(transport: Substring, bytes: [UInt8])] {
                lab.read("tap.log").split(separator: "\n").dropFirst(before).map { line in
                    (transport: line.split(separator: " ")[0], bytes: hexBytes(line.split(separator: " ")[1]))
                }
            }
            // The tap's log has caught up once the last queries sent upstream are in it.
            #expect(Lab.waitFor(5) { [optName, tcpName].allSatisfy { name in tapped().contains { questionName($0.bytes) == name } } })
            let seen = tapped()
            let casings = Set(seen.map { questionName($0.bytes) }.filter { $0.count == 18 && $0[4] == 0x30 })
            #expect(casings.count <= 1, "\(casings.count) distinct casings of ttl0.example.com reached the upstream")
            let optQueries = seen.filter { questionName($0.bytes) == optName }
            #expect(optQueries.count == 1)
            // Header 12, question 17 + 4, OPT record 11 with no options: 44 bytes.
            #expect(optQueries.first?.bytes.count == 44, "upstream got \(optQueries.first?.bytes.count ?? 0) bytes")
            let tcpQueries = seen.filter { questionName($0.bytes) == tcpName }
            #expect(tcpQueries.count == 1 && tcpQueries.first?.bytes.count == 44)
            #expect(!seen.contains { String(decoding: questionName($0.bytes), as: UTF8.self).contains("rec") })

            // Logged and counted.
            let logged = lab.decisions().first { $0["name"] as? String == "opt.example.com" }
            let stripped = logged?["stripped"] as? [String: Any]
            #expect(stripped?["edns_options"] as? [Int] == [65_001, 12, 10])
            #expect(stripped?["trailing_bytes"] as? Int == 40)
            #expect(lab.decisions().contains { $0["action"] as? String == "formerr" })
            let counted = Lab.waitFor(5) {
                kill(proxy.processIdentifier, SIGUSR1)
                return Lab.waitFor(0.5) { lab.read("airlock.err").contains("\"stripped_edns_options\":4") }
            }
            #expect(counted, "\(lab.read("airlock.err").suffix(800))")
        }
    }
}
