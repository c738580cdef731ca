import AirlockTestSupport
import Foundation
import Testing

/// The arrows of the module graph (Package.swift's comment, the README's module table), checked on
/// the `import` lines of every source file, so a back-edge fails a test instead of waiting for review.
@Suite struct ModuleGraphTests {
    /// Each module's imports, from the `import` lines of the files under `Sources/<module>`.
    static let imports: [String: Set<String>] = {
        let sources = Repository.root.appendingPathComponent("Sources")
        var out: [String: Set<String>] = [:]
        let modules = (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []
        let pattern = /^\s*(?:@\w+\s+)*(?:(?:public|package|internal|private|fileprivate)\s+)?import\s+(\w+)/
        for module in modules {
            var found: Set<String> = []
            let enumerator = FileManager.default.enumerator(atPath: sources.appendingPathComponent(module).path)
            while let file = enumerator?.nextObject() as? String {
                guard file.hasSuffix(".swift") else { continue }
                let path = sources.appendingPathComponent(module).appendingPathComponent(file).path
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                for line in text.split(separator: "\n") {
                    if let match = line.firstMatch(of: pattern) { found.insert(String(match.1)) }
                }
            }
            out[module] = found
        }
        return out
    }()

    /// The servers: each imports the layers below it, never another server.
    static let servers = ["AirlockDNSProxy", "AirlockHTTPProxy", "AirlockAlerts", "AirlockReplay", "AirlockFleet"]

    @Test func theSourcesAreRead() {
        #expect(Self.imports.count >= 20, "\(Self.imports.keys.sorted())")
        #expect(Self.imports["AirlockDNSProxy"]?.contains("AirlockSystem") == true)
    }

    @Test func noServerImportsAnother() {
        for server in Self.servers {
            let others = Self.imports[server, default: []].intersection(Self.servers)
            #expect(others.isEmpty, "\(server) imports \(others.sorted())")
        }
    }

    /// Zeek's direction: the producers emit a common record (``DecisionEvent``); the alerting
    /// knows none of them.
    @Test func alertingKnowsNoProducer() {
        let producers: Set = ["AirlockDNSProxy", "AirlockHTTPProxy", "AirlockReplay", "AirlockPipeline"]
        #expect(Self.imports["AirlockAlerts", default: []].isDisjoint(with: producers))
    }

    /// Enforcement is pure: no system layer, no Foundation or Glibc (it is built with strict memory safety).
    @Test func enforcementDoesNoIO() {
        let io: Set = ["AirlockSystem", "Foundation", "Glibc", "AirlockTLSClient", "AirlockCapture"]
        #expect(Self.imports["AirlockEnforcement", default: []].isDisjoint(with: io))
    }

    /// Only the system layer and the C wrappers reach the system's C library for sockets and files;
    /// the protocol cores and the engine import neither Glibc nor Foundation.
    @Test func theCoresImportNoSystemLibrary() {
        let cores = [
            "AirlockEvents", "AirlockPackets", "AirlockDNSWire", "AirlockHTTPWire", "AirlockTLSWire", "AirlockEngine",
            "AirlockPipeline", "AirlockDigest", "AirlockDnstap", "AirlockDNSLog", "AirlockEnforcement", "AirlockReport",
        ]
        for core in cores {
            let system = Self.imports[core, default: []].intersection(["Glibc", "Foundation"])
            #expect(system.isEmpty, "\(core) imports \(system.sorted())")
        }
    }
}
