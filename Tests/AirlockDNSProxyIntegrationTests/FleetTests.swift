import AirlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback upstream that answers every query NXDOMAIN at once (authoritative, no records), as a
/// tunnel's own server or a zone without the name does.
private let nxdomainUpstream = """
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        i = 12
        while i < len(q) and q[i] != 0:
            i += q[i] + 1
        s.sendto(q[:2] + bytes([0x85, 0x83]) + b"\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00" + q[12:i + 5], peer)
    """

/// A query with an OPT record, so a block answer carries its Extended DNS Error.
private func ednsQuery(_ name: String, id: UInt16, type: UInt16 = 1) -> [UInt8] {
    var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
    for label in name.split(separator: ".") {
        out.append(UInt8(label.utf8.count))
        out += Array(label.utf8)
    }
    out += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
    out += [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
    return out
}

/// The Extended DNS Error text of an answer, when Airlock blocked it ("airlock: …").
private func blockText(_ answer: [UInt8]?) -> String? {
    guard let answer else { return nil }
    let text = String(decoding: answer, as: UTF8.self)
    guard let range = text.range(of: "airlock: ") else { return nil }
    return String(text[range.lowerBound...])
}

private func hex(_ random: inout SeededRandom, _ count: Int) -> String { random.string("0123456789abcdef", length: count) }

/// Three `airlock serve` instances and a real Redis on loopback (issue #14): a conviction through one
/// is refused by the others within a second; exfiltration spread over all three stops at the fleet
/// budget; with Redis killed every instance keeps answering and enforcing locally, and says so in its
/// metrics and alerts; when Redis returns they resynchronise and convictions made meanwhile arrive.
extension DNSProxyIntegration {
    @Suite(
        .serialized,
        .enabled(
            if: Lab.enabled(["redis-server", "redis-cli", "python3", "curl", "openssl"], root: false),
            "needs redis-server, redis-cli (Debian redis-server), python3, curl and openssl"))
    struct FleetTests {
        struct Fleet {
            let lab: Lab
            let redisPort: UInt16
            var redis: Process
            var dnsPorts: [String: UInt16] = [:]
            var metricsPorts: [String: UInt16] = [:]

            /// Redis without persistence: a restart starts empty, as after a crash with no disk.
            static func startRedis(_ lab: Lab, port: UInt16) throws -> Process {
                let process = try lab.start(
                    "/usr/bin/redis-server",
                    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
                    log: "redis-\(port)-\(Int(Date().timeIntervalSince1970 * 1000))")
                guard
                    Lab.waitFor(10, {
                        (try? Lab.run("/usr/bin/redis-cli", ["-p", String(port), "PING"], timeout: 5))?.stdout
                            .contains("PONG") ?? false
                    })
                else { throw LabError.command("redis-server did not answer on \(port)") }
                return process
            }

            init(lab: Lab, policy: (_ redis: UInt16, _ upstream: UInt16) -> String) throws {
                self.lab = lab
                redisPort = Lab.freePort()
                redis = try Self.startRedis(lab, port: redisPort)
                let upstream = Lab.freePort()
                try lab.start("/usr/bin/python3", ["-c", nxdomainUpstream, String(upstream)], log: "upstream")
                guard Lab.udpBound(upstream) else { throw LabError.command("the upstream did not bind") }
                let file = try lab.write("policy.yaml", policy(redisPort, upstream))
                for name in ["a", "b", "c"] {
                    let dns = Lab.freePort()
                    let metrics = Lab.freePort()
                    let alerts = try lab.write(
                        "alerts-\(name).yaml",
                        """
                        alerts:
                          window_seconds: 60
                          shutdown_drain_seconds: 0
                          file: {path: "\(lab.path("alerts-\(name).jsonl"))"}
                          metrics: {listen: "127.0.0.1:\(metrics)"}
                        """)
                    try lab.startAirlock(
                        policy: file, listen: ["127.0.0.1:\(dns)"],
                        extra: ["--alerts", alerts, "--fleet-instance", name], label: name)
                    dnsPorts[name] = dns
                    metricsPorts[name] = metrics
                }
            }

            /// Waits until every instance has synced once (its handshake done).
            func waitSynced() throws {
                for name in ["a", "b", "c"] {
                    guard Lab.waitFor(10, { metric(name, "airlock_fleet_connected") == 1 }) else {
                        throw LabError.command("instance \(name) did not sync: \(lab.read(name + ".err"))")
                    }
                }
            }

            func ask(_ instance: String, _ name: String, type: UInt16 = 1, id: UInt16 = 7) -> [UInt8]? {
                udpExchange(ednsQuery(name, id: id, type: type), port: dnsPorts[instance]!, timeout: 2)
            }

            func metrics(_ instance: String) -> String {
                (try? Lab.run(
                    "/usr/bin/curl", ["-s", "--max-time", "3", "http://127.0.0.1:\(metricsPorts[instance]!)/metrics"],
                    timeout: 5))?.stdout ?? ""
            }

            func metric(_ instance: String, _ name: String) -> Double? {
                for line in metrics(instance).split(separator: "\n") where line.hasPrefix(name + " ") {
                    return Double(line.dropFirst(name.count + 1))
                }
                return nil
            }

            func alerts(_ instance: String) -> String { lab.read("alerts-\(instance).jsonl") }

            /// Sends tunnel-shaped TXT queries through `instance` until it blocks one; the time it did.
            func convict(_ domain: String, through instance: String, random: inout SeededRandom) -> Date? {
                for i in 0..<40 {
                    let answer = ask(instance, "\(hex(&random, 40)).t.\(domain)", type: 16, id: UInt16(100 + i))
                    if let text = blockText(answer), text.contains("tunnel verdict on \(domain)") { return Date() }
                }
                return nil
            }

            /// Polls the other instances with an ordinary name of `domain` every 5 ms until each refuses
            /// it naming `convictor`; the time each did (nil: not within `timeout`).
            func refusals(of domain: String, by convictor: String, at others: [String], timeout: Double) -> [String: Date] {
                var seen: [String: Date] = [:]
                let end = Date().addingTimeInterval(timeout)
                var id: UInt16 = 1
                while seen.count < others.count && Date() < end {
                    for other in others where seen[other] == nil {
                        id &+= 1
                        if let text = blockText(ask(other, "www.\(domain)", id: id)), text.hasSuffix("by \(convictor)") {
                            seen[other] = Date()
                        }
                    }
                    usleep(5_000)
                }
                return seen
            }
        }

        static func convictionPolicy(redis: UInt16, upstream: UInt16) -> String {
            """
            version: 1
            mode: enforce
            dns:
              upstreams: ["127.0.0.1:\(upstream)"]
              quarantine_seconds: 600
              timeout_ms: 1000
              attempts: 1
            fleet:
              redis: 127.0.0.1:\(redis)
              key_prefix: fleettest
              sync_interval_ms: 200
            """
        }

        @Test func aConvictionThroughOneInstanceIsRefusedByTheOthersAndSurvivesARedisOutage() throws {
            let lab = try Lab()
            var fleet = try Fleet(lab: lab, policy: Self.convictionPolicy)
            try fleet.waitSynced()
            var random = SeededRandom(seed: 1414)

            // Before: B answers names of the domain as the upstream does (no block).
            #expect(fleet.ask("b", "www.pirate.sea") != nil && blockText(fleet.ask("b", "www.pirate.sea")) == nil)
            let convicted = try #require(fleet.convict("pirate.sea", through: "a", random: &random), "\(lab.read("a.err"))")
            let refused = fleet.refusals(of: "pirate.sea", by: "a", at: ["b", "c"], timeout: 5)
            #expect(refused.count == 2, "B and C refused: \(refused.keys.sorted())")
            let delays = refused.mapValues { $0.timeIntervalSince(convicted) }
            print("fleet: conviction through A refused by B after \(String(format: "%.3f", delays["b"] ?? -1)) s, "
                + "by C after \(String(format: "%.3f", delays["c"] ?? -1)) s (sync interval 200 ms)")
            for (instance, delay) in delays { #expect(delay < 1.0, "\(instance) took \(delay) s") }

            // The decision record and the alert name the convicting instance and its rule.
            let record = try #require(lab.decisions("b").last(where: { ($0["convicted_by"] as? String) == "a" }))
            #expect(record["rule"] as? String == "dns.quarantine_seconds")
            #expect(record["conviction_rule"] as? String != nil)
            #expect((record["reason"] as? String)?.contains("by fleet instance a (") == true)
            #expect(Lab.waitFor(5) { fleet.alerts("b").contains("by fleet instance a") })

            // Redis dies: every instance still answers and enforces what it knows, and says sync is lost.
            lab.stop(fleet.redis, signal: SIGKILL)
            for name in ["a", "b", "c"] {
                #expect(Lab.waitFor(10) { fleet.metric(name, "airlock_fleet_connected") == 0 }, "\(name) still connected")
                #expect(Lab.waitFor(5) { fleet.alerts(name).contains("fleet-sync-lost") }, "\(name): no sync-lost alert")
                let answer = fleet.ask(name, "ordinary.example.sea")
                #expect(answer != nil && blockText(answer) == nil, "\(name) stopped answering")
                #expect(blockText(fleet.ask(name, "www.pirate.sea"))?.contains("tunnel verdict on pirate.sea") == true)
            }
            #expect((fleet.metric("b", "airlock_fleet_sync_lag_seconds") ?? 0) > 0)
            // C convicts another domain while Redis is away: only C knows.
            #expect(fleet.convict("second.sea", through: "c", random: &random) != nil)
            #expect(blockText(fleet.ask("a", "www.second.sea")) == nil)

            // Redis comes back empty: the instances reconnect (backoff at most 5 s), C republishes its
            // conviction, and A and B refuse the domain it convicted during the outage.
            fleet.redis = try Fleet.startRedis(lab, port: fleet.redisPort)
            for name in ["a", "b", "c"] {
                #expect(Lab.waitFor(15) { fleet.metric(name, "airlock_fleet_connected") == 1 }, "\(name) did not reconnect")
                #expect(Lab.waitFor(5) { fleet.alerts(name).contains("fleet-sync-returned") }, "\(name): no sync-back alert")
            }
            let back = fleet.refusals(of: "second.sea", by: "c", at: ["a", "b"], timeout: 5)
            #expect(back.count == 2, "after the restart A and B refused second.sea: \(back.keys.sorted())")
            // What A convicted before the outage is in Redis again too (A republished it).
            let stream = try Lab.run("/usr/bin/redis-cli", ["-p", String(fleet.redisPort), "XRANGE", "fleettest:convictions", "-", "+"])
            #expect(stream.stdout.contains("pirate.sea") && stream.stdout.contains("second.sea"), "\(stream.stdout)")
            for name in ["a", "b", "c"] {
                #expect(lab.read(name + ".err").contains("fleet: sync with Redis at 127.0.0.1:\(fleet.redisPort) back after"))
            }
        }

        /// TLS and a password, as Debian's Redis serves them (`tls-port`, `requirepass`): an instance
        /// with the right CA and password syncs and publishes; one with another CA is refused at the
        /// handshake and one with a wrong password by Redis, each saying why, and both keep serving.
        @Test func tlsAndAPasswordAreUsedAndCheckedAndFailuresSayWhy() throws {
            let lab = try Lab()
            func openssl(_ arguments: [String]) throws {
                let r = try Lab.run("/usr/bin/openssl", arguments)
                guard r.status == 0 else { throw LabError.command("openssl \(arguments): \(r.stderr)") }
            }
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            for ca in ["ca", "other-ca"] {
                try openssl(["req", "-x509"] + ec + ["-keyout", lab.path(ca + ".key"), "-out", lab.path(ca + ".pem"), "-days", "2", "-subj", "/CN=\(ca)"])
            }
            try openssl(["req"] + ec + ["-keyout", lab.path("redis.key"), "-out", lab.path("redis.csr"), "-subj", "/CN=redis.test"])
            _ = try lab.write("san.ext", "subjectAltName=IP:127.0.0.1,DNS:redis.test\n")
            try openssl([
                "x509", "-req", "-in", lab.path("redis.csr"), "-CA", lab.path("ca.pem"), "-CAkey", lab.path("ca.key"),
                "-CAcreateserial", "-out", lab.path("redis.pem"), "-days", "2", "-extfile", lab.path("san.ext"),
            ])
            let port = Lab.freePort()
            try lab.start(
                "/usr/bin/redis-server",
                [
                    "--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--tls-cert-file", lab.path("redis.pem"),
                    "--tls-key-file", lab.path("redis.key"), "--tls-ca-cert-file", lab.path("ca.pem"), "--tls-auth-clients", "no",
                    "--requirepass", "fleet-secret", "--save", "", "--appendonly", "no",
                ], log: "redis-tls")
            let cli = ["--tls", "--cacert", lab.path("ca.pem"), "--no-auth-warning", "-a", "fleet-secret", "-p", String(port)]
            #expect(Lab.waitFor(10) { (try? Lab.run("/usr/bin/redis-cli", cli + ["PING"]))?.stdout.contains("PONG") ?? false })
            let upstream = Lab.freePort()
            try lab.start("/usr/bin/python3", ["-c", nxdomainUpstream, String(upstream)], log: "upstream")
            #expect(Lab.udpBound(upstream))
            _ = try lab.write("right-password", "fleet-secret\n")
            _ = try lab.write("wrong-password", "not-the-secret\n")
            func start(_ name: String, ca: String, password: String) throws -> UInt16 {
                let policy = try lab.write(
                    "policy-\(name).yaml",
                    """
                    version: 1
                    dns:
                      upstreams: ["127.0.0.1:\(upstream)"]
                      quarantine_seconds: 600
                    fleet:
                      redis: 127.0.0.1:\(port)
                      password_file: \(password)
                      tls: {ca_file: \(ca).pem}
                      sync_interval_ms: 100
                    """)
                let dns = Lab.freePort()
                try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(dns)"], extra: ["--fleet-instance", name], label: name)
                return dns
            }
            let good = try start("good", ca: "ca", password: "right-password")
            _ = try start("other-ca", ca: "other-ca", password: "right-password")
            _ = try start("bad-password", ca: "ca", password: "wrong-password")
            #expect(Lab.waitFor(10) { lab.read("other-ca.err").contains("TLS: certificate of 127.0.0.1 refused") }, "\(lab.read("other-ca.err"))")
            #expect(Lab.waitFor(10) { lab.read("bad-password.err").contains("Redis refused AUTH: WRONGPASS") }, "\(lab.read("bad-password.err"))")
            // The good instance convicts a tunnel; its conviction is in Redis, read over TLS with the password.
            var random = SeededRandom(seed: 77)
            var blocked = false
            for i in 0..<40 where !blocked {
                let answer = udpExchange(ednsQuery("\(hex(&random, 40)).t.tls-tunnel.sea", id: UInt16(i), type: 16), port: good)
                blocked = blockText(answer)?.contains("tunnel verdict on tls-tunnel.sea") == true
            }
            #expect(blocked)
            #expect(
                Lab.waitFor(5) {
                    (try? Lab.run("/usr/bin/redis-cli", cli + ["XRANGE", "airlock:convictions", "-", "+"]))?.stdout
                        .contains("tls-tunnel.sea") ?? false
                })
            // Neither refused instance published anything, and both still answer.
            let clients = try Lab.run("/usr/bin/redis-cli", cli + ["CLIENT", "LIST"])
            #expect(clients.stdout.contains("name=airlock-good") && !clients.stdout.contains("name=airlock-other-ca"))
        }

        static func budgetPolicy(redis: UInt16, upstream: UInt16) -> String {
            """
            version: 1
            mode: enforce
            dns:
              upstreams: ["127.0.0.1:\(upstream)"]
              quarantine_seconds: 0
              leak_budget: {bytes: 16000000, window_seconds: 300}
              timeout_ms: 1000
              attempts: 1
            fleet:
              redis: 127.0.0.1:\(redis)
              key_prefix: budgettest
              share: [leak_budget]
              leak_budget: {bytes: 8192, window_seconds: 300}
              sync_interval_ms: 200
            """
        }

        /// 40 KB in 30-byte pieces (60 hex characters a name), round robin over A, B and C: each
        /// instance alone sees a third of it, far under any local budget; the fleet's stops it at
        /// 8 KB plus what the fleet sends while the figures lag (measured: under one 200 ms batch;
        /// bound: two intervals and a round trip).
        @Test func exfiltrationSpreadOverThreeInstancesStopsAtTheFleetBudget() throws {
            let lab = try Lab()
            let fleet = try Fleet(lab: lab, policy: Self.budgetPolicy)
            try fleet.waitSynced()
            var random = SeededRandom(seed: 4040)
            let instances = ["a", "b", "c"]
            var allowed = 0
            var blocked = 0
            var firstBlock: Int?
            var costs: [Double] = []
            let pieces = 40 * 1024 / 30
            let started = Date()
            var blockedAt: Date?
            for i in 0..<pieces {
                let instance = instances[i % 3]
                let name = "\(hex(&random, 30)).\(hex(&random, 30)).exfil.sea"
                let answer = fleet.ask(instance, name, id: UInt16(i & 0xFFFF))
                if let text = blockText(answer) {
                    #expect(text.contains("fleet.leak_budget") && text.hasSuffix("by the fleet"), "\(text)")
                    blocked += 1
                    if firstBlock == nil {
                        firstBlock = i
                        blockedAt = Date()
                    }
                } else if answer != nil {
                    allowed += 1
                }
                usleep(2_000)
            }
            let sending = (blockedAt ?? Date()).timeIntervalSince(started)
            // The engine's cost of one name, from the block records' reasons ("… C more would pass …").
            for name in instances {
                for record in lab.decisions(name) where record["rule"] as? String == "fleet.leak_budget" {
                    if let reason = record["reason"] as? String, let match = reason.firstMatch(of: /; (\d+) more would pass/) {
                        costs.append(Double(match.1)!)
                    }
                }
            }
            // What Redis counted for the domain (every forwarded name's cost, all instances), once the
            // last batches are in.
            usleep(600_000)
            let keys = try Lab.run("/usr/bin/redis-cli", ["-p", String(fleet.redisPort), "--scan", "--pattern", "budgettest:budget:*exfil.sea"])
            var counted = 0.0
            for key in keys.stdout.split(separator: "\n") {
                let value = try Lab.run("/usr/bin/redis-cli", ["-p", String(fleet.redisPort), "GET", String(key)])
                counted += Double(value.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            let cost = costs.isEmpty ? 30 : costs.reduce(0, +) / Double(costs.count)
            let rate = Double(allowed) * cost / max(sending, 0.001)
            let batch = rate * 0.2
            print(
                "fleet budget: \(pieces) names (\(pieces * 30) bytes of payload) over 3 instances; \(allowed) allowed, "
                    + "\(blocked) blocked (first block at name \(firstBlock ?? -1)); Redis counted \(Int(counted)) bytes "
                    + "against a budget of 8192: \(Int(counted - 8192)) over, \(String(format: "%.2f", (counted - 8192) / batch)) "
                    + "of a 200 ms batch (\(Int(batch)) bytes at \(Int(rate)) B/s); \(String(format: "%.1f", cost)) bytes per name")
            #expect(blocked > pieces / 2)
            #expect(counted >= 8192 - cost, "the fleet stopped before its budget")
            // The documented bound: what the other instances send in two sync intervals and a round trip
            // (their batch not yet sent, and the time until this instance reads the total again).
            #expect(counted <= 8192 + rate * 0.45 + cost, "more than the budget plus two intervals left")
            #expect(abs(Double(allowed) * cost - counted) <= counted * 0.1, "Redis counted what was let through")
            // Each instance alone saw far less than the budget: no local budget or verdict stopped it.
            for name in instances {
                #expect(lab.decisions(name).allSatisfy { ($0["rule"] as? String) != "dns.leak_budget" })
            }
        }
    }
}
