import AirlockDNSProxy
import AirlockEvents
import AirlockPolicy
import AirlockSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Name-based policy for clients that are not HTTP: a sandbox may open connections only to the
/// addresses Airlock's DNS gave it for allowed names, for as long as those answers live (Cilium's
/// toFQDNs, on nftables sets with timeouts). `Deploy/sandbox.sh --fqdn-set` creates the set and
/// the rule that accepts its addresses.
///
/// Privilege separation: `airlock serve` runs unprivileged once its ports are bound, so before
/// dropping root it starts `airlock nft-feeder` (root) with a pipe. The DNS workers write one line
/// per answer — `CLIENT ADDRESS TTL` — without blocking (a full pipe drops the line and counts it);
/// the feeder checks each line (addresses parse, the client belongs to a configured prefix, the TTL
/// is clamped) and only then issues `add element` to `nft -i`. A compromised Airlock can at worst
/// add addresses to its sandboxes' sets for a bounded time; it cannot write other nft commands.
enum FQDNSets {
    /// `198.18.2.0/24=inet/airlock_agent/fqdn_v4`: clients in the prefix feed that set.
    struct Mapping: Sendable {
        var clients: CIDR
        var family: String
        var table: String
        var set: String

        static func parse(_ text: String) throws -> Mapping {
            let expected = "CIDR=FAMILY/TABLE/SET (e.g. 198.18.2.0/24=inet/airlock_agent/fqdn_v4)"
            let halves = text.split(separator: "=", maxSplits: 1)
            guard halves.count == 2, case .success(let cidr) = CIDR.parse(String(halves[0])) else {
                throw UsageError.invalidValue(option: "--fqdn-set", value: text, expected: expected)
            }
            let parts = halves[1].split(separator: "/")
            let word = { (s: Substring) in
                !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            }
            guard parts.count == 3, ["inet", "ip"].contains(parts[0]), word(parts[1]), word(parts[2]) else {
                throw UsageError.invalidValue(option: "--fqdn-set", value: text, expected: expected)
            }
            return Mapping(clients: cidr, family: String(parts[0]), table: String(parts[1]), set: String(parts[2]))
        }

        var argument: String { "\(clients)=\(family)/\(table)/\(set)" }
    }

    /// The write end of the pipe to the feeder, shared by the DNS workers.
    final class Writer: Sendable {
        private let fd: Int32
        private let mappings: [Mapping]
        let dropped = Atomic<Int>(0)

        init(fd: Int32, mappings: [Mapping]) {
            self.fd = fd
            self.mappings = mappings
        }

        /// One line per answer, for clients a mapping covers; never blocks.
        func answer(client: IPAddress, addresses: [IPAddress], ttl: UInt32) {
            guard mappings.contains(where: { $0.clients.contains(client) }) else { return }
            for address in addresses where address.unmappedIPv4.isIPv4 {
                let line = Array("\(client.unmappedIPv4) \(address.unmappedIPv4) \(ttl)\n".utf8)
                let n = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n != line.count { dropped.add(1, ordering: .relaxed) }
            }
        }
    }

    /// Starts `airlock nft-feeder` (as the current, privileged user) reading from a pipe; returns
    /// the writer for the pipe's non-blocking write end.
    static func startFeeder(_ mappings: [Mapping]) throws -> Writer {
        let ends = try pipe()
        let arguments = ["airlock", "nft-feeder"] + mappings.flatMap { ["--set", $0.argument] }
        let pid = try spawn("/proc/self/exe", arguments, stdin: ends[0])
        close(ends[0])
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        OutputStream.standardError.line(
            "airlock serve: nft-feeder pid \(pid) for \(mappings.map(\.argument).joined(separator: ", "))")
        return Writer(fd: ends[1], mappings: mappings)
    }

    /// A pipe whose two ends close on exec (the child gets its end as standard input through dup2).
    static func pipe() throws -> [Int32] {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw SystemError("pipe") }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return ends
    }

    /// posix_spawn with `stdin` as the child's standard input; the child's other descriptors are
    /// inherited (stdout, stderr) or closed on exec.
    static func spawn(_ path: String, _ arguments: [String], stdin: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, &argv, environ)
        guard result == 0 else { throw SystemError("posix_spawn \(path)", code: result) }
        return pid
    }
}

/// `airlock nft-feeder --set CIDR=FAMILY/TABLE/SET ...`: the privileged half of `--fqdn-set`.
/// Reads `CLIENT ADDRESS TTL` lines, checks them, and adds the address to the client's set with a
/// timeout (at least 30 s, at most 24 h; refreshed when a new answer outlives the old element).
enum NFTFeederCommand {
    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, valued: ["--set", "--min-ttl", "--max-ttl"], switches: ["--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(
                "usage: airlock nft-feeder --set CIDR=FAMILY/TABLE/SET ... (started by airlock serve --fqdn-set)")
            return 0
        }
        let mappings = try parsed.values("--set").map(FQDNSets.Mapping.parse)
        guard !mappings.isEmpty else { throw UsageError.missingArgument("--set CIDR=FAMILY/TABLE/SET") }
        let minimum = try ServeCommand.number(parsed.value("--min-ttl"), "--min-ttl") ?? 30
        let maximum = try ServeCommand.number(parsed.value("--max-ttl"), "--max-ttl") ?? 86_400
        let ends = try FQDNSets.pipe()
        _ = try FQDNSets.spawn("/usr/sbin/nft", ["nft", "-i"], stdin: ends[0])
        close(ends[0])
        let nft = ends[1]
        /// Monotonic second at which each element added expires (to refresh only when needed).
        var expiry: [String: Int64] = [:]
        var line: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return 0 }  // Airlock is gone: so are the answers to feed.
            for byte in buffer[..<n] {
                guard byte != UInt8(ascii: "\n") else {
                    handle(String(decoding: line, as: UTF8.self))
                    line.removeAll(keepingCapacity: true)
                    continue
                }
                if line.count < 128 { line.append(byte) }
            }
        }

        func handle(_ text: String) {
            let fields = text.split(separator: " ")
            guard fields.count == 3, let client = IPAddress(fields[0]), let address = IPAddress(fields[1]),
                address.isIPv4, let ttl = Int(fields[2]), ttl >= 0,
                let mapping = mappings.first(where: { $0.clients.contains(client) })
            else { return }
            let seconds = min(max(ttl, minimum), maximum)
            let key = "\(mapping.table)/\(mapping.set)/\(address)"
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let until = Int64(now.tv_sec) + Int64(seconds)
            var command = ""
            if let old = expiry[key] {
                // The element is there: replace it only when the new answer outlives it noticeably.
                guard until > old + Int64(seconds / 2) || old <= Int64(now.tv_sec) else { return }
                if old > Int64(now.tv_sec) {
                    command += "delete element \(mapping.family) \(mapping.table) \(mapping.set) { \(address) }\n"
                }
            }
            command +=
                "add element \(mapping.family) \(mapping.table) \(mapping.set) { \(address) timeout \(seconds)s }\n"
            expiry[key] = until
            if expiry.count > 100_000 { expiry = expiry.filter { $0.value > Int64(now.tv_sec) } }
            let bytes = Array(command.utf8)
            _ = bytes.withUnsafeBytes { write(nft, $0.baseAddress, $0.count) }
        }
    }
}
