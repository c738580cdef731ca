import AirlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Validates Deploy/ with whatever tool exists for each file here: systemd-analyze for the unit,
/// `airlock check-policy` for the policies, nft's check mode for the sandbox rules, `kubectl
/// kustomize` (offline render) plus structural checks for Kubernetes, static checks for the
/// Containerfile (no image builder runs here). A check whose tool is missing is skipped
/// (`.enabled(if:)`), and reported as skipped.
@Suite struct DeployTests {
    static let root = Repository.root
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static var airlock: String { Repository.airlock }

    static func tool(_ name: String) -> String? {
        ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"].map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Output {
        var status: Int32
        var text: String
    }

    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, text: String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: tool("systemd-analyze") != nil, "needs systemd-analyze"))
    func systemdUnitVerifiesAndIsHardened() throws {
        let analyze = try #require(Self.tool("systemd-analyze"))
        // verify checks that the executables exist: point the unit at the binary this run built.
        let unit = try String(contentsOfFile: Self.path("Deploy/airlock.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/airlock", with: Self.airlock)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-unit-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("airlock.service").path
        try unit.write(toFile: file, atomically: true, encoding: .utf8)
        let verify = try Self.run(analyze, ["verify", file])
        #expect(verify.status == 0, "systemd-analyze verify: \(verify.text)")
        for setting in [
            "NoNewPrivileges=yes", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "ProtectSystem=strict",
            "ReadOnlyPaths=/etc/airlock", "DynamicUser=yes",
        ] {
            #expect(unit.contains("\n\(setting)\n"), "missing \(setting)")
        }
        let security = try Self.run(analyze, ["security", "--offline=true", file])
        let level = security.text.components(separatedBy: "Overall exposure level for airlock.service: ").last?
            .split(separator: " ").first.flatMap { Double($0) }
        print("systemd-analyze security: exposure \(level.map { String($0) } ?? "?")")
        if let level { #expect(level <= 2.0, "exposure \(level)") }
    }

    @Test(arguments: ["Deploy/policy.agent.yaml", "Deploy/policy.example.yaml", "Deploy/kubernetes/policy.yaml"])
    func policiesValidate(_ file: String) throws {
        let result = try Self.run(Self.airlock, ["check-policy", Self.path(file)])
        #expect(result.status == 0, "\(file): \(result.text)")
    }

    /// The sandbox rules `Deploy/sandbox.sh rules` prints, IPv4 only and with IPv6.
    static func sandboxRules() throws -> (v4: Output, v6: Output) {
        let script = Self.path("Deploy/sandbox.sh")
        let rules = try Self.run("/bin/bash", [script, "rules", "--name", "check-1", "--proxy-ports", "3128,8080"])
        let v6 = try Self.run(
            "/bin/bash",
            [
                script, "rules", "--name", "check-2", "--sandbox-addr6", "2001:2:0:3::2/64", "--host-addr6",
                "2001:2:0:3::1",
            ])
        return (rules, v6)
    }

    @Test func sandboxRulesParse() throws {
        let (rules, v6) = try Self.sandboxRules()
        #expect(rules.status == 0)
        for needle in [
            "hook input", "hook forward", "udp dport 53 counter name dropped_other_resolver_udp drop",
            "tcp dport 853 counter name dropped_dot drop", "meta nfproto ipv6 counter name dropped_ipv6 drop",
            "tcp dport { 3128, 8080 } counter name accepted_proxy accept", "counter name dropped_direct drop",
            // Anti-spoofing before conntrack and NAT: only the sandbox's own source address.
            "hook prerouting priority raw", "ip saddr != 198.18.1.2 counter name dropped_spoofed drop",
            "fib saddr . iif oif missing counter name dropped_spoofed drop",
        ] {
            #expect(rules.text.contains(needle), "rules lack '\(needle)'")
        }
        #expect(v6.status == 0)
        for needle in [
            "ip6 saddr != { 2001:2:0:3::2, fe80::2 } counter name dropped_spoofed drop",
            "ip6 daddr 2001:2:0:3::1 udp dport 53 counter name accepted_dns accept",
        ] {
            #expect(v6.text.contains(needle), "IPv6 rules lack '\(needle)'")
        }
    }

    @Test(.enabled(if: geteuid() == 0 && tool("nft") != nil, "needs root and nftables"))
    func sandboxRulesPassNftCheck() throws {
        let nft = try #require(Self.tool("nft"))
        let (rules, v6) = try Self.sandboxRules()
        for text in [rules.text, v6.text] {
            let check = try Self.run(nft, ["-c", "-f", "-"], input: text)
            #expect(check.status == 0, "nft -c: \(check.text)")
        }
    }

    @Test(.enabled(if: tool("kubectl") != nil, "needs kubectl"))
    func kubernetesManifestsRender() throws {
        let dir = Self.path("Deploy/kubernetes")
        let kubectl = try #require(Self.tool("kubectl"))
        let rendered = try Self.run(kubectl, ["kustomize", dir])
        #expect(rendered.status == 0, "kubectl kustomize: \(rendered.text)")
        #expect(
            rendered.text.components(separatedBy: "\nkind: ").count - 1
                + (rendered.text.hasPrefix("kind: ") ? 1 : 0) >= 7)
        // The cluster-scoped admission policy renders apart, with no namespace put on it.
        let cluster = try Self.run(kubectl, ["kustomize", dir + "/cluster"])
        #expect(cluster.status == 0, "kubectl kustomize cluster: \(cluster.text)")
        #expect(cluster.text.contains("kind: ValidatingAdmissionPolicy"))
        #expect(!cluster.text.contains("namespace: agents"))
    }

    static var pythonYAML: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
            && (try? run("/usr/bin/python3", ["-c", "import yaml"]).status) == 0
    }

    @Test(.enabled(if: pythonYAML, "needs python3-yaml"))
    func kubernetesManifestStructure() throws {
        let dir = Self.path("Deploy/kubernetes")
        let python = "/usr/bin/python3"
        let checked = try Self.run(python, [Self.path("Tests/Integration/check-kubernetes.py"), dir])
        #expect(checked.status == 0, "\(checked.text)")
    }

    /// The fleet overlay (`Deploy/kubernetes-fleet`): renders, and its structure holds (the replicas
    /// name themselves, the policy names the Redis Service and the password Secret, Redis takes the
    /// gateways' connections only).
    @Test(.enabled(if: tool("kubectl") != nil && pythonYAML, "needs kubectl and python3-yaml"))
    func kubernetesFleetOverlay() throws {
        let kubectl = try #require(Self.tool("kubectl"))
        let rendered = try Self.run(kubectl, ["kustomize", Self.path("Deploy/kubernetes-fleet")])
        #expect(rendered.status == 0, "kubectl kustomize: \(rendered.text)")
        let checked = try Self.run(
            "/usr/bin/python3", [Self.path("Tests/Integration/check-kubernetes-fleet.py")], input: rendered.text)
        #expect(checked.status == 0, "\(checked.text)")
    }

    /// The fleet overlay's policy validates, with its password file where the Secret would be.
    @Test func fleetPolicyValidates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-fleet-policy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let password = dir.appendingPathComponent("password").path
        try "example-password\n".write(toFile: password, atomically: true, encoding: .utf8)
        let text = try String(contentsOfFile: Self.path("Deploy/kubernetes-fleet/policy.yaml"), encoding: .utf8)
        #expect(text.contains("/var/run/airlock-redis/password"))
        let policy = dir.appendingPathComponent("policy.yaml").path
        try text.replacingOccurrences(of: "/var/run/airlock-redis/password", with: password)
            .write(toFile: policy, atomically: true, encoding: .utf8)
        let result = try Self.run(Self.airlock, ["check-policy", policy])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("fleet: redis 10.96.0.54:6379") && !result.text.contains("example-password"))
    }

    /// No image builder runs here (no podman/buildah; docker has no daemon), so the Containerfile is
    /// checked statically: every file it copies exists, the base images are named, the final stage
    /// runs as a numeric non-root user, and start-up goes through the exec form.
    @Test func containerfile() throws {
        let text = try String(contentsOfFile: Self.path("Deploy/Containerfile"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let stages = lines.filter { $0.hasPrefix("FROM ") }
        #expect(stages.count == 2)
        #expect(!lines.contains { $0.hasPrefix("ADD ") }, "ADD can fetch URLs; use COPY")
        for line in lines where line.hasPrefix("COPY ") && !line.contains("--from=") {
            let parts = line.split(separator: " ").dropFirst().dropLast()
            for source in parts {
                #expect(
                    FileManager.default.fileExists(atPath: Self.path(String(source))), "COPY source \(source) missing")
            }
        }
        let lastStage = lines.split { $0.hasPrefix("FROM ") }.last ?? []
        let user = lastStage.last { $0.hasPrefix("USER ") }
        #expect(user != nil && user != "USER root" && user != "USER 0", "final stage must run as non-root")
        #expect(user.map { $0.dropFirst(5).allSatisfy { $0.isNumber || $0 == ":" } } == true, "numeric USER")
        #expect(lastStage.contains { $0.hasPrefix("ENTRYPOINT [") }, "exec-form ENTRYPOINT")
    }
}
