import AirlockSystem
import AirlockTLSClient
import AirlockTestSupport
import Foundation
import Synchronization
import Testing

@testable import AirlockAlerts

/// A throwaway PKI made with the `openssl` CLI in a temporary directory: the test CA, a rogue CA
/// nobody configured, and server certificates signed by them. EC P-256 keys, valid two days.
struct TestPKI {
    let dir: String
    var caFile: String { dir + "/ca.pem" }

    /// Server certificates by name: SANs and issuer.
    static let servers: [(name: String, issuer: String, san: String)] = [
        ("good", "ca", "IP:127.0.0.1,DNS:siem.test"),
        ("rogue", "rogue-ca", "IP:127.0.0.1,DNS:siem.test"),
        ("elsewhere", "ca", "IP:127.0.0.2,DNS:other.test"),
    ]

    func certificate(_ name: String) -> String { "\(dir)/\(name).pem" }
    func key(_ name: String) -> String { "\(dir)/\(name).key" }

    /// Throws when the openssl CLI is missing or fails.
    static func make(in dir: String) throws -> TestPKI {
        let openssl = try #require(executable("openssl"))
        func run(_ arguments: [String]) throws {
            let status = try TestProcess.run(openssl, arguments)
            guard status == 0 else { throw PKIError(command: arguments.prefix(3).joined(separator: " "), status: status) }
        }
        let keyType = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for ca in ["ca", "rogue-ca"] {
            try run(
                ["req", "-x509"] + keyType + [
                    "-keyout", "\(dir)/\(ca).key", "-out", "\(dir)/\(ca).pem", "-days", "2", "-subj", "/CN=Airlock test \(ca)",
                ])
        }
        for (serial, server) in servers.enumerated() {
            let ext = "\(dir)/\(server.name).ext"
            try "subjectAltName=\(server.san)\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: ext, atomically: true, encoding: .utf8)
            try run(
                ["req", "-new"] + keyType + [
                    "-keyout", "\(dir)/\(server.name).key", "-out", "\(dir)/\(server.name).csr", "-subj", "/CN=\(server.name)",
                ])
            try run([
                "x509", "-req", "-in", "\(dir)/\(server.name).csr", "-CA", "\(dir)/\(server.issuer).pem", "-CAkey",
                "\(dir)/\(server.issuer).key", "-set_serial", String(1000 + serial), "-days", "2", "-extfile", ext,
                "-out", "\(dir)/\(server.name).pem",
            ])
        }
        return TestPKI(dir: dir)
    }

    struct PKIError: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var description: String { "openssl \(command) exited with \(status)" }
    }

    static func executable(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}

/// The webhook sink over HTTPS against a Python receiver on 127.0.0.1 that serves certificates
/// from ``TestPKI``: delivered with the test CA; refused (and kept in the spool, failures
/// counted, nothing received) for an unknown CA, a certificate for another address, and a
/// receiver that does not speak TLS; names verified by the TLS client without any resolver.
@Suite(
    .serialized,
    .enabled(if: TestProcess.python != nil && TestPKI.executable("openssl") != nil, "needs python3 and the openssl CLI"))
struct HTTPSWebhookTests {
    /// Everything one test needs: a temp dir with the PKI, python, the receiver script, a port.
    struct Setup {
        let dir: String
        let pki: TestPKI
        let python: String
        let script: String
        let port = Samples.freePort()
        var received: String { dir + "/received.txt" }

        /// The suite runs only where python3 and openssl exist (`.enabled(if:)`), so both are required here.
        init(_ name: String) throws {
            let python = try #require(TestProcess.python)
            let dir = Samples.temporaryDirectory("https-\(name)")
            let pki = try TestPKI.make(in: dir)
            (self.dir, self.pki, self.python) = (dir, pki, python)
            script = Samples.repositoryRoot.appendingPathComponent("Tests/AirlockAlertsTests/Fixtures/webhook_receiver.py").path
        }

        /// Starts the receiver serving `certificate` (nil: plain HTTP) on `port`.
        func receiver(certificate: String?) throws -> TestProcess {
            var arguments = [script, "--port", String(port), "--out", received, "--lifetime", "60"]
            if let certificate { arguments += ["--tls-cert", pki.certificate(certificate), "--tls-key", pki.key(certificate)] }
            let process = try TestProcess(python, arguments)
            #expect(TestProcess.waitForPort(port), "receiver did not start")
            return process
        }

        func configuration(caFile: String?) -> AlertingConfiguration {
            var config = AlertingConfiguration()
            config.windowSeconds = 1
            config.shutdownDrainSeconds = 5
            var webhook = AlertingConfiguration.WebhookSink(url: "https://127.0.0.1:\(port)/alerts", spoolDirectory: dir + "/spool")
            webhook.caFile = caFile
            webhook.batchSize = 10
            webhook.timeoutMilliseconds = 2000
            webhook.backoffInitialSeconds = 0.05
            webhook.backoffMaximumSeconds = 0.3
            config.webhook = webhook
            return config
        }

        /// Alert ids the receiver wrote down (one line per record).
        var receivedIDs: [String] {
            let text = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Tunnel decisions for 4 sandboxes over ~10 s of traffic time: a few dozen alerts.
    static let decisions = WebhookOutageTests.decisions(sandboxes: 4, perSandbox: 200)

    static func failures(_ pipeline: AlertPipeline) -> Int {
        let prefix = "airlock_sink_failures_total{sink=\"webhook\"} "
        let line = pipeline.metrics.render().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    @Test func alertsArriveOverHTTPSWithTheTestCA() throws {
        let setup = try Setup("ok")
        defer { setup.cleanUp() }
        let receiver = try setup.receiver(certificate: "good")
        defer { receiver.kill() }
        let raised = Mutex<[String]>([])
        let pipeline = try AlertPipeline(
            configuration: setup.configuration(caFile: setup.pki.caFile), observer: { a in raised.withLock { $0.append(a.id) } })
        for d in Self.decisions { pipeline.submit(d) }
        #expect(eventually(seconds: 10) { pipeline.spooled == 0 && pipeline.queued == 0 }, "delivered")
        pipeline.finish()
        let ids = raised.withLock { $0 }
        let delivered = setup.receivedIDs
        print("https webhook: raised \(ids.count) alerts, delivered \(delivered.count) records over TLS, failures \(Self.failures(pipeline))")
        #expect(ids.count > 20)
        #expect(Set(delivered) == Set(ids), "every alert arrived over HTTPS")
        #expect(Self.failures(pipeline) == 0)
        #expect(pipeline.lastErrors["webhook"] == nil)
    }

    /// A receiver whose certificate comes from a CA nobody configured: every attempt is refused in
    /// the handshake, the alerts wait in the spool, failures are counted, the receiver gets
    /// nothing. When the right certificate is served, the same spooled alerts go out.
    @Test func unknownCAIsRefusedThenTheSpoolDrainsToTheRightServer() throws {
        let setup = try Setup("rogue")
        defer { setup.cleanUp() }
        var receiver = try setup.receiver(certificate: "rogue")
        defer { receiver.kill() }
        let raised = Mutex<[String]>([])
        let pipeline = try AlertPipeline(
            configuration: setup.configuration(caFile: setup.pki.caFile), observer: { a in raised.withLock { $0.append(a.id) } })
        for d in Self.decisions { pipeline.submit(d) }
        #expect(eventually(seconds: 10) { Self.failures(pipeline) >= 3 && pipeline.queued == 0 })
        let error = pipeline.lastErrors["webhook"] ?? ""
        let spooled = pipeline.spooled
        print("https webhook, unknown CA: \(Self.failures(pipeline)) refused attempts, \(spooled) alerts spooled; last error: \(error)")
        #expect(error.contains("TLS: certificate of 127.0.0.1 refused: unable to get local issuer certificate"), "\(error)")
        #expect(spooled > 0)
        #expect(setup.receivedIDs.isEmpty, "nothing reached the server with the wrong certificate")

        receiver.kill()
        receiver = try setup.receiver(certificate: "good")
        #expect(eventually(seconds: 10) { pipeline.spooled == 0 && pipeline.queued == 0 }, "spool drained")
        pipeline.finish()
        #expect(Set(setup.receivedIDs) == Set(raised.withLock { $0 }))
    }

    /// Right CA, but the certificate names 127.0.0.2 and other.test: refused for 127.0.0.1.
    @Test func certificateForAnotherAddressIsRefused() throws {
        let setup = try Setup("elsewhere")
        defer { setup.cleanUp() }
        let receiver = try setup.receiver(certificate: "elsewhere")
        defer { receiver.kill() }
        var config = setup.configuration(caFile: setup.pki.caFile)
        config.shutdownDrainSeconds = 0.2
        let pipeline = try AlertPipeline(configuration: config)
        for d in Self.decisions.prefix(100) { pipeline.submit(d) }
        #expect(eventually(seconds: 10) { Self.failures(pipeline) >= 2 })
        let error = pipeline.lastErrors["webhook"] ?? ""
        #expect(error.contains("certificate of 127.0.0.1 refused: IP address mismatch"), "\(error)")
        #expect(pipeline.spooled > 0)
        pipeline.finish()
        #expect(setup.receivedIDs.isEmpty)
    }

    /// An https URL pointing at a plain-HTTP receiver: the handshake fails, no request is ever
    /// written in clear (the receiver records nothing).
    @Test func plainReceiverBehindHTTPSURLGetsNoCleartext() throws {
        let setup = try Setup("plain")
        defer { setup.cleanUp() }
        let receiver = try setup.receiver(certificate: nil)
        defer { receiver.kill() }
        var config = setup.configuration(caFile: setup.pki.caFile)
        config.shutdownDrainSeconds = 0.2
        let pipeline = try AlertPipeline(configuration: config)
        for d in Self.decisions.prefix(100) { pipeline.submit(d) }
        #expect(eventually(seconds: 10) { Self.failures(pipeline) >= 2 })
        let error = pipeline.lastErrors["webhook"] ?? ""
        print("https webhook, plain receiver: \(Self.failures(pipeline)) failed attempts; last error: \(error)")
        #expect(error.hasPrefix("TLS handshake: "), "\(error)")
        pipeline.finish()
        #expect(setup.receivedIDs.isEmpty)
    }

    /// The TLS client alone, on sockets to 127.0.0.1, with the server name given separately (no
    /// resolver involved): SNI names match case-insensitively, other names, subdomains, and the
    /// system trust store (which lacks the test CA) are refused; a bad CA file fails at setup.
    @Test func tlsClientVerifiesNamesAndTrust() throws {
        let setup = try Setup("names")
        defer { setup.cleanUp() }
        let receiver = try setup.receiver(certificate: "good")
        defer { receiver.kill() }
        let testCA = try TLSClientContext(caFile: setup.pki.caFile)
        func handshake(_ host: String, _ context: TLSClientContext) throws -> Result<TLSClientConnection, TLSClientError> {
            let socket = try TCPConnection.connect(host: "127.0.0.1", port: setup.port, timeoutMilliseconds: 2000)
            defer { socket.close() }
            do {
                let tls = try TLSClientConnection(fd: socket.fd, host: host, context: context, timeoutMilliseconds: 2000)
                // Exercise the session while the socket is open: an empty batch is answered 200.
                try tls.write(Array("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]".utf8), timeoutMilliseconds: 2000)
                var answer: [UInt8] = []
                while answer.count < 12 {
                    let chunk = try tls.read(timeoutMilliseconds: 2000)
                    if chunk.isEmpty { break }
                    answer += chunk
                }
                #expect(String(decoding: answer.prefix(12), as: UTF8.self).hasSuffix(" 200"), "\(host)")
                #expect(tls.protocolVersion == "TLSv1.3" || tls.protocolVersion == "TLSv1.2")
                tls.close()
                return .success(tls)
            } catch {
                return .failure(error)
            }
        }
        for host in ["siem.test", "SIEM.Test.", "127.0.0.1"] {
            if case .failure(let error) = try handshake(host, testCA) { Issue.record("\(host): \(error)") }
        }
        for (host, reason) in [("other.test", "hostname mismatch"), ("a.siem.test", "hostname mismatch"), ("127.0.0.2", "IP address mismatch")] {
            let result = try handshake(host, testCA)
            guard case .failure(.certificateRefused(_, let why)) = result else {
                Issue.record("\(host) was not refused: \(result)")
                continue
            }
            #expect(why == reason, "\(host)")
        }
        let system = try TLSClientContext()
        #expect(system.trust == "system trust store")
        let refused = try handshake("siem.test", system)
        guard case .failure(.certificateRefused(_, let why)) = refused else {
            Issue.record("the system store accepted the test CA: \(refused)")
            return
        }
        #expect(why == "unable to get local issuer certificate")
        #expect(throws: TLSClientError.self) { try TLSClientContext(caFile: setup.dir + "/missing.pem") }
        #expect(throws: TLSClientError.self) { try TLSClientContext(caFile: setup.pki.key("good")) }  // a key, no certificate
    }

    /// A server that completes the handshake and closes before the client writes: the write fails
    /// with an error, and the process is not killed by SIGPIPE (bytes go out through
    /// `send(MSG_NOSIGNAL)`, never OpenSSL's `write(2)`; the test runner does not ignore SIGPIPE).
    @Test func resetDuringWriteIsAnErrorNotASignal() throws {
        let setup = try Setup("reset")
        defer { setup.cleanUp() }
        let server = """
            import socket, ssl, sys
            cert, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen()
            s.settimeout(30)
            while True:
                c, _ = s.accept()
                try:
                    ctx.wrap_socket(c, server_side=True).close()
                except Exception:
                    c.close()
            """
        let process = try TestProcess(
            setup.python, ["-c", server, setup.pki.certificate("good"), setup.pki.key("good"), String(setup.port)])
        defer { process.kill() }
        #expect(TestProcess.waitForPort(setup.port))
        let socket = try TCPConnection.connect(host: "127.0.0.1", port: setup.port, timeoutMilliseconds: 2000)
        defer { socket.close() }
        let tls = try TLSClientConnection(
            fd: socket.fd, host: "127.0.0.1", context: TLSClientContext(caFile: setup.pki.caFile), timeoutMilliseconds: 2000)
        // Once the server has closed (FIN), the first bytes draw a reset and the next send gets EPIPE.
        // Whatever it sent before its FIN (TLS 1.3 session tickets) is read and dropped on the way.
        func serverClosed() -> Bool {
            while true {
                guard (try? POSIX.wait(socket.fd, writable: false, timeoutMilliseconds: 0)) == true else { return false }
                guard let bytes = try? POSIX.receive(socket.fd, max: 65_536, timeoutMilliseconds: 0) else { return true }
                if bytes.isEmpty { return true }
            }
        }
        #expect(eventually(seconds: 5) { serverClosed() }, "the server closed the connection")
        let big = [UInt8](repeating: 0x41, count: 32 << 20)
        var outcome: TLSClientError?
        do { try tls.write(big, timeoutMilliseconds: 5000) } catch { outcome = error }
        switch outcome {
        case .closed?, .socket?: break
        default: Issue.record("expected a closed or reset connection, got \(String(describing: outcome))")
        }
        print("https webhook, reset during write: \(outcome.map(String.init(describing:)) ?? "no error")")
        tls.close()
    }

    @Test func configurationChecksCAFileAtStartUp() throws {
        let setup = try Setup("config")
        defer { setup.cleanUp() }
        var config = setup.configuration(caFile: setup.dir + "/missing.pem")
        do {
            let p = try AlertPipeline(configuration: config)
            p.finish()
            Issue.record("a missing CA file was accepted")
        } catch {
            #expect(error.description.hasPrefix("alerts.webhook.ca_file: TLS setup: cannot load CA file"), "\(error)")
        }
        config.webhook?.url = "http://127.0.0.1:\(setup.port)/alerts"
        config.webhook?.caFile = setup.pki.caFile
        #expect(config.problems().map(\.setting) == ["alerts.webhook.ca_file"])
        config.webhook?.url = "https://127.0.0.1:\(setup.port)/alerts"
        config.webhook?.caFile = ""
        #expect(config.problems().map(\.setting) == ["alerts.webhook.ca_file"])
        config.webhook?.caFile = nil
        #expect(config.problems().isEmpty)
    }
}
