import AirlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `airlock watch --dnstap` against a real Unbound with dnstap on, on loopback only: Unbound answers
/// from local zones (`local-zone: "." refuse` keeps it from ever recursing to the Internet) on a free
/// 127.0.0.1 port, and sends its client queries and responses over Frame Streams to the socket
/// `watch` listens on. A client asks tunnel-shaped names (base32 labels, TXT) under one zone and some
/// ordinary ones; `watch` must print the tunnel verdict and log the transactions.
@Suite(.serialized, .enabled(if: Unbound.available, "needs unbound (with dnstap) and dig (Deploy/install-deps.sh)"))
struct UnboundDnstapTests {
    @Test func watchScoresUnboundsClientsFromDnstap() throws {
        let lab = try Unbound.Lab()
        let socket = lab.path("dnstap.sock")
        let dnsLog = lab.path("dns.log")
        let watch = try lab.start(Unbound.airlock, ["watch", "--dnstap", "unix:\(socket)", "--jsonl", "--dns-log", dnsLog], log: "watch")
        #expect(lab.wait(10) { FileManager.default.fileExists(atPath: socket) }, "\(lab.read("watch.err"))")
        let port = try lab.startUnbound(dnstapSocket: socket)

        let answered = try lab.dig(port: port, names: Unbound.ordinaryNames + Unbound.tunnelNames(40))
        #expect(answered.contains("192.0.2.10"), "unbound answers from its local zone")
        let sawVerdict = lab.wait(20) { lab.read("watch.out").contains("\"verdict\":\"tunnel\"") }
        #expect(sawVerdict, "watch: \(lab.read("watch.err"))\nunbound: \(lab.read("unbound.err"))")
        lab.stop(watch)
        #expect(watch.terminationStatus == 0, "\(lab.read("watch.err"))")

        let records = Unbound.json(lab.read("watch.out"))
        let alerts = records.filter { $0["alert"] as? Bool == true && $0["verdict"] as? String == "tunnel" }
        #expect(alerts.count == 1)
        #expect(alerts.first?["domain"] as? String == "tunnel.test")
        #expect(alerts.first?["client"] as? String == "127.0.0.1:\(lab.clientPort)")
        #expect(!records.contains { $0["domain"] as? String == "example.test" && $0["verdict"] != nil && !($0["verdict"] is NSNull) })
        let log = Unbound.json(lab.read("dns.log"))
        #expect(log.contains { $0["query"] as? String == "www.example.test" && ($0["answers"] as? [String]) == ["192.0.2.10"] })
        #expect(log.contains { $0["airlock.verdict"] as? String == "tunnel" && $0["rcode_name"] as? String == "NXDOMAIN" })
        #expect(lab.read("watch.err").contains("stopped"))
    }

    /// The same traffic through `fstrm_capture` (the Frame Streams reference tool) into a file, read
    /// back with `watch --dnstap FILE`, which ends at the file's end.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/fstrm_capture"), "needs fstrm-bin"))
    func aDnstapFileFromFstrmCaptureGivesTheSameVerdict() throws {
        let lab = try Unbound.Lab()
        let socket = lab.path("capture.sock")
        let file = lab.path("unbound.dnstap")
        let capture = try lab.start(
            "/usr/bin/fstrm_capture", ["-t", "protobuf:dnstap.Dnstap", "-u", socket, "-w", file], log: "fstrm")
        #expect(lab.wait(10) { FileManager.default.fileExists(atPath: socket) }, "\(lab.read("fstrm.err"))")
        let port = try lab.startUnbound(dnstapSocket: socket)
        _ = try lab.dig(port: port, names: Unbound.ordinaryNames + Unbound.tunnelNames(40))
        // Unbound flushes its dnstap queue within a second; stopping it closes the stream (STOP).
        _ = lab.wait(3) { ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) > 4000 }
        lab.stopUnbound()
        lab.stop(capture)  // SIGTERM: fstrm_capture closes the file with a STOP frame
        #expect(lab.read("fstrm.err").contains("closed output file"), "\(lab.read("fstrm.err"))")
        let r = try Unbound.run(Unbound.airlock, ["watch", "--dnstap", file, "--jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let records = Unbound.json(r.stdout)
        #expect(records.contains { $0["alert"] as? Bool == true && $0["verdict"] as? String == "tunnel" && $0["domain"] as? String == "tunnel.test" })
        // Unbound connects its dnstap stream lazily and drops what it logs before: most, not all, arrive.
        #expect(records.filter { $0["type"] as? String == "dns_query" }.count >= 30)
    }
}

enum Unbound {
    static let root = Repository.root
    static var airlock: String { Repository.airlock }
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/unbound") && FileManager.default.isExecutableFile(atPath: "/usr/bin/dig")
    }

    static let ordinaryNames = ["www.example.test", "api.example.test", "www.example.test"]

    /// Names shaped like iodine/dnscat2 upstream data: base32 labels under one zone, TXT.
    static func tunnelNames(_ count: Int) -> [String] {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return (0..<count).map { i in
            let label = String((0..<52).map { _ in alphabet[Int(generator.next() % 32)] })
            return "\(label).\(i).t1.tunnel.test TXT"
        }
    }

    static func json(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Killed after 60 s.
    static func run(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        try runProcess(executable, arguments, timeout: 60)
    }

    /// A scratch directory and the processes started in it, all stopped (by PID) and removed at the end.
    final class Lab {
        let dir: URL
        private var processes: [Process] = []
        private var unbound: Process?
        /// The port the client queries come from (dig -b 127.0.0.1#PORT), to check the client field.
        let clientPort = UInt16(20000 + Int(getpid()) % 20000)

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-dnstap-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }

        deinit {
            for p in processes.reversed() { stop(p) }
            try? FileManager.default.removeItem(at: dir)
        }

        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

        func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool { eventually(seconds: seconds, condition) }

        @discardableResult
        func start(_ executable: String, _ arguments: [String], log: String) throws -> Process {
            let process = Process()
            // The test runner's threads block (or ignore) SIGINT/SIGTERM and children inherit that;
            // the tools here stop cleanly only on those signals (fstrm_capture writes its file's
            // STOP frame then), so they start with both unblocked and at their defaults.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [
                "-c",
                "import os, signal, sys; s = {signal.SIGINT, signal.SIGTERM}; signal.pthread_sigmask(signal.SIG_UNBLOCK, s); "
                    + "[signal.signal(n, signal.SIG_DFL) for n in s]; os.execv(sys.argv[1], sys.argv[1:])",
                executable,
            ] + arguments
            _ = FileManager.default.createFile(atPath: path(log + ".out"), contents: nil)
            _ = FileManager.default.createFile(atPath: path(log + ".err"), contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path(log + ".out")))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: path(log + ".err")))
            process.standardInput = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            return process
        }

        func stop(_ process: Process, signal: Int32 = SIGTERM) { stopProcess(process, signal: signal, grace: 5) }

        func stopUnbound() { if let unbound { stop(unbound) } }

        /// Unbound on a free loopback port, answering only its local zones, dnstap to `dnstapSocket`.
        func startUnbound(dnstapSocket: String) throws -> UInt16 {
            for _ in 0..<5 {
                let port = UInt16.random(in: 30000...60000)
                let config = """
                    server:
                      verbosity: 1
                      interface: 127.0.0.1
                      port: \(port)
                      do-ip6: no
                      do-daemonize: no
                      use-syslog: no
                      logfile: ""
                      chroot: ""
                      username: ""
                      directory: "\(dir.path)"
                      pidfile: "\(path("unbound.pid"))"
                      num-threads: 1
                      access-control: 127.0.0.0/8 allow
                      module-config: "iterator"
                      local-zone: "." refuse
                      local-zone: "example.test." static
                      local-data: "www.example.test. 300 IN A 192.0.2.10"
                      local-data: "api.example.test. 300 IN A 192.0.2.11"
                      local-zone: "tunnel.test." static
                    remote-control:
                      control-enable: no
                    dnstap:
                      dnstap-enable: yes
                      dnstap-socket-path: "\(dnstapSocket)"
                      dnstap-send-identity: yes
                      dnstap-identity: "airlock-test"
                      dnstap-log-client-query-messages: yes
                      dnstap-log-client-response-messages: yes

                    """
                let file = path("unbound.conf")
                try config.write(toFile: file, atomically: true, encoding: .utf8)
                let process = try start("/usr/sbin/unbound", ["-d", "-c", file], log: "unbound")
                let up = wait(10) {
                    (try? Unbound.run("/usr/bin/dig", ["@127.0.0.1", "-p", "\(port)", "+short", "+tries=1", "+time=1", "www.example.test"]))?
                        .stdout.contains("192.0.2.10") == true
                }
                if up {
                    unbound = process
                    return port
                }
                stop(process)
            }
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "unbound did not start: \(read("unbound.err"))"])
        }

        /// Asks every name (`NAME [TYPE]`) in one dig run from a fixed client port; returns dig's output.
        func dig(port: UInt16, names: [String]) throws -> String {
            let batch = path("names.txt")
            try names.joined(separator: "\n").write(toFile: batch, atomically: true, encoding: .utf8)
            let r = try Unbound.run(
                "/usr/bin/dig",
                ["@127.0.0.1", "-p", "\(port)", "-b", "127.0.0.1#\(clientPort)", "+tries=1", "+time=2", "+short", "-f", batch])
            return r.stdout
        }
    }
}
