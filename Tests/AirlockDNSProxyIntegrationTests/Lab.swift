import AirlockTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every DNS proxy integration test, one at a time: they start servers, bind ports and time
/// answers, and must not compete with each other for the two CPUs.
@Suite(.serialized) struct DNSProxyIntegration {}

/// The real parts of an integration test: temporary files, processes it starts (stopped by PID at
/// the end), and network namespaces it creates (deleted at the end). Traffic stays on loopback or
/// inside the namespaces, on 198.18.0.0/15 addresses.
final class Lab {
    let dir: URL
    private var processes: [Process] = []
    private(set) var namespaces: [String] = []
    /// A short tag that keeps namespace and interface names unique between concurrent runs and labs
    /// (interface names allow 15 bytes: `sb` + tag stays far below).
    let tag =
        String(getpid() % 100_000, radix: 36) + String(Lab.counter.add(1, ordering: .relaxed).newValue % 36, radix: 36)
    private static let counter = Atomic<Int>(0)

    static let root = Repository.root

    /// The `airlock` binary SwiftPM built for this test run.
    static var airlock: String { Repository.airlock }

    /// Why a test needing `tools` (and root, when `root`) cannot run here; nil when it can.
    static func missing(tools: [String], root: Bool) -> String? {
        if root && geteuid() != 0 { return "needs root (network namespaces)" }
        let path = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        let absent = tools.filter { tool in
            !path.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
        if !absent.isEmpty { return "missing tools: \(absent.joined(separator: ", ")) (Deploy/install-deps.sh)" }
        return nil
    }

    /// Prints why the test is skipped (the trait's comment says it too).
    static func enabled(_ tools: [String], root: Bool) -> Bool {
        guard let reason = missing(tools: tools, root: root) else { return true }
        FileHandle.standardError.write(Data("skipping DNS proxy integration test: \(reason)\n".utf8))
        return false
    }

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "airlock-dnsproxy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        dir = path
    }

    deinit {
        for process in processes.reversed() where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
        }
        for process in processes.reversed() {
            eventually(seconds: 2) { !process.isRunning }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        for name in namespaces.reversed() { _ = try? Lab.run("/usr/sbin/ip", ["netns", "delete", name]) }
        try? FileManager.default.removeItem(at: dir)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? "" }

    /// Starts a long-running process (in `namespace` if given), output to files in the lab directory.
    @discardableResult
    func start(_ executable: String, _ arguments: [String], namespace: String? = nil, log: String) throws -> Process {
        let process = Process()
        if let namespace {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        _ = FileManager.default.createFile(atPath: path(log + ".out"), contents: nil)
        _ = FileManager.default.createFile(atPath: path(log + ".err"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path(log + ".out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: path(log + ".err")))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        return process
    }

    /// Stops one process this lab started (SIGTERM, then SIGKILL after 2 s).
    func stop(_ process: Process, signal: Int32 = SIGTERM) { stopProcess(process, signal: signal) }

    typealias Output = ProcessOutput

    /// Runs a command to completion (killed after `timeout` seconds).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], namespace: String? = nil, timeout: Double = 20) throws
        -> Output
    {
        if let namespace {
            return try runProcess("/usr/sbin/ip", ["netns", "exec", namespace, executable] + arguments, timeout: timeout)
        }
        return try runProcess(executable, arguments, timeout: timeout)
    }

    /// Waits until `condition` holds, up to `timeout` seconds.
    static func waitFor(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        eventually(seconds: timeout, condition)
    }

    /// Waits until a process has bound UDP `port` on 127.0.0.1 (a loopback upstream is ready).
    static func udpBound(_ port: UInt16, timeout: Double = 10) -> Bool {
        eventually(seconds: timeout) { !portIsFree(port, Int32(SOCK_DGRAM.rawValue)) }
    }

    /// A UDP and TCP port free on 127.0.0.1 right now.
    static func freePort() -> UInt16 {
        for _ in 0..<50 {
            let port = UInt16.random(in: 20_000...60_000)
            if portIsFree(port, Int32(SOCK_DGRAM.rawValue)) && portIsFree(port, Int32(SOCK_STREAM.rawValue)) {
                return port
            }
        }
        return 0
    }

    private static func portIsFree(_ port: UInt16, _ type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    // MARK: Namespaces

    /// Creates a namespace (deleted with the lab) with loopback up; returns its name.
    func namespace(_ role: String) throws -> String {
        let name = "alkdp-\(role)-\(tag)"
        _ = try? Lab.run("/usr/sbin/ip", ["netns", "delete", name])
        let r = try Lab.run("/usr/sbin/ip", ["netns", "add", name])
        guard r.status == 0 else { throw LabError.command("ip netns add \(name): \(r.stderr)") }
        namespaces.append(name)
        try sh(name, "ip link set lo up")
        return name
    }

    /// A veth pair between two namespaces with an address (CIDR) on each end.
    func link(_ a: String, _ aAddress: String, _ b: String, _ bAddress: String, name: String) throws {
        let left = "\(name)a\(tag)"
        let right = "\(name)b\(tag)"
        try sh(a, "ip link add \(left) type veth peer name \(right) netns \(b)")
        try sh(a, "ip addr add \(aAddress) dev \(left) && ip link set \(left) up")
        try sh(b, "ip addr add \(bAddress) dev \(right) && ip link set \(right) up")
    }

    /// Runs a shell command in a namespace; throws on failure.
    @discardableResult
    func sh(_ namespace: String, _ command: String, timeout: Double = 20) throws -> Output {
        let r = try Lab.run("/bin/sh", ["-c", command], namespace: namespace, timeout: timeout)
        guard r.status == 0 else { throw LabError.command("\(command) in \(namespace): \(r.stdout)\(r.stderr)") }
        return r
    }
}

enum LabError: Error, CustomStringConvertible {
    case command(String)
    case timeout(String)

    var description: String {
        switch self {
        case .command(let s): return "command failed: \(s)"
        case .timeout(let s): return "timed out: \(s)"
        }
    }
}
