import AirlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue #11 finding 4: one client holding 10,000 idle connections made every other client's
/// request fail (the worker's 4,096 connections were all its). `airlock http-proxy` with its default
/// limits and one worker on loopback: 127.0.0.2 opens 10,000 idle connections (more than twice what
/// the worker holds), then 127.0.0.3 asks for a file from a real web server (python's http.server
/// on 127.0.0.1) through the proxy.
@Suite(.serialized) struct ConnectionShareTests {
    static var airlock: String { Repository.airlock }

    /// The hog's connections plus this process's own descriptors must fit the descriptor limit
    /// (raised to the hard limit when the soft one is lower).
    static let hogConnections = 10_000
    static var enoughDescriptors: Bool {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return limit.rlim_cur >= rlim_t(hogConnections + 1_000)
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
    }

    /// A TCP connection from `source` (an address of lo) to 127.0.0.1:`port`; -1 on failure.
    static func connect(from source: String, port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        func address(_ text: String, _ port: UInt16) -> sockaddr_in {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            inet_pton(AF_INET, text, &a.sin_addr)
            return a
        }
        var local = address(source, 0)
        var remote = address("127.0.0.1", port)
        let ok = withUnsafePointer(to: &local) { l in
            l.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0 && withUnsafePointer(to: &remote) { r in
            r.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
        if !ok {
            close(fd)
            return -1
        }
        return fd
    }

    /// One request through the proxy from `source`; the response text ("" when the proxy hung up).
    static func request(from source: String, proxy: UInt16, target: String, host: String) -> String {
        let fd = connect(from: source, port: proxy)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        let head = Array("GET \(target) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
        guard head.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == head.count else { return "" }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        _ = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: a.sin_port)
    }

    /// How many of `fds` the peer has closed or reset (looked at without reading or waiting).
    static func ended(_ fds: [Int32]) -> Int {
        var byte: UInt8 = 0
        return fds.count { fd in
            let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    static func start(_ executable: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(.enabled(if: enoughDescriptors, "needs python3 and a descriptor limit of 11,000"), .timeLimit(.minutes(3)))
    func oneClientsIdleConnectionsDoNotStopAnotherClientsRequests() throws {
        let dir = NSTemporaryDirectory() + "airlock-share-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "ok\n".write(toFile: dir + "/ok.txt", atomically: true, encoding: .utf8)
        let webPort = Self.freePort()
        let proxyPort = Self.freePort()
        let web = try Self.start(
            "/usr/bin/python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, "\(webPort)"],
            log: dir + "/web.err")
        defer {
            // SIGKILL: the test runner's threads block SIGTERM, and a child started from one inherits that.
            kill(web.processIdentifier, SIGKILL)
            web.waitUntilExit()
        }
        let policy = """
            version: 1
            dns: {upstreams: ["127.0.0.1:9"]}
            http:
              default: deny
              allow: [{host: 127.0.0.1, ports: [\(webPort)]}]
              allow_private_destinations: [127.0.0.0/8]
            """
        try policy.write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)
        // One worker: its 4,096 connections are what the hog tries to take.
        let proxy = try Self.start(
            Self.airlock,
            [
                "http-proxy", "--policy", dir + "/policy.yaml", "--listen", "127.0.0.1:\(proxyPort)", "--threads", "1",
                "--allow-own-host", "--log", dir + "/http.jsonl",
            ], log: dir + "/airlock.err")
        defer {
            kill(proxy.processIdentifier, SIGKILL)
            proxy.waitUntilExit()
        }
        let host = "127.0.0.1:\(webPort)"
        let target = "http://\(host)/ok.txt"
        #expect(
            eventually(seconds: 10) { Self.request(from: "127.0.0.3", proxy: proxyPort, target: target, host: host).hasSuffix("ok\n") },
            "the proxy and the web server did not come up: \((try? String(contentsOfFile: dir + "/airlock.err", encoding: .utf8)) ?? "")")

        // The hog: idle connections from 127.0.0.2, never a byte sent; at most 10,000 and 90 s.
        var hog: [Int32] = []
        defer { for fd in hog { close(fd) } }
        let hogDeadline = Date().addingTimeInterval(90)
        for _ in 0..<Self.hogConnections where Date() < hogDeadline {
            let fd = Self.connect(from: "127.0.0.2", port: proxyPort)
            if fd >= 0 { hog.append(fd) }
        }
        #expect(hog.count == Self.hogConnections, "the hog opened \(hog.count) connections")
        // Wait until the proxy has taken every hog connection from its queue: all but the client's
        // share (HTTPProxyConfiguration.maxConnectionsPerClient, 256) are refused or closed, and the
        // hog sees them end.
        #expect(
            eventually(seconds: 30) { Self.ended(hog) >= hog.count - 256 },
            "\(Self.ended(hog)) of the hog's \(hog.count) connections ended")

        // Another client's requests still work, every one of them.
        var served = 0
        for _ in 0..<20 where Self.request(from: "127.0.0.3", proxy: proxyPort, target: target, host: host).hasSuffix("ok\n") {
            served += 1
        }
        #expect(served == 20, "\(served) of 20 requests from another client were served while 127.0.0.2 opened \(hog.count)")
        #expect(hog.count - Self.ended(hog) <= 256, "the proxy still holds \(hog.count - Self.ended(hog)) of the hog's connections")

        // The hog's excess was refused or closed, and that is in the log, per client.
        let log = (try? String(contentsOfFile: dir + "/http.jsonl", encoding: .utf8)) ?? ""
        let limited = log.split(separator: "\n").filter {
            $0.contains("\"client\":\"127.0.0.2:") && $0.contains("\"rule\":\"http.client_connections\"")
        }
        #expect(!limited.isEmpty, "no http.client_connections record for 127.0.0.2")
        #expect(!log.contains("\"client\":\"127.0.0.3:\",\"rule\":\"http.client_connections\""))
        kill(proxy.processIdentifier, SIGUSR1)
        #expect(
            eventually(seconds: 5) {
                ((try? String(contentsOfFile: dir + "/airlock.err", encoding: .utf8)) ?? "").contains("\"client_limit_refused\":")
            })
    }
}
