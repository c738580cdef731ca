import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Starting the real parts: NSD as the authoritative upstream, `airlock serve`, and reading its log.
extension Lab {
    /// NSD serving `zones` on `address@port` (rate limiting off, NSID set so a test can see that
    /// EDNS options do not pass through the proxy).
    @discardableResult
    func startNSD(
        _ listen: String, zones: [(name: String, text: String)], namespace: String? = nil, label: String = "nsd"
    )
        throws -> Process
    {
        var conf = """
            server:
              ip-address: \(listen)
              username: ""
              chroot: ""
              zonesdir: "\(dir.path)"
              pidfile: ""
              database: ""
              zonelistfile: "\(path(label + ".zonelist"))"
              xfrdfile: "\(path(label + ".xfrd"))"
              xfrdir: "\(dir.path)"
              logfile: "\(path(label + ".log"))"
              rrl-ratelimit: 0
              rrl-whitelist-ratelimit: 0
              server-count: 1
              nsid: "ascii_airlock-test-nsd"
              verbosity: 1
            remote-control:
              control-enable: no

            """
        for zone in zones {
            let file = try write("\(label)-\(zone.name).zone", zone.text)
            conf += "zone:\n  name: \(zone.name)\n  zonefile: \(file)\n"
        }
        let config = try write(label + ".conf", conf)
        return try start("/usr/sbin/nsd", ["-d", "-c", config], namespace: namespace, log: label)
    }

    /// `airlock serve` with a policy, waiting until it listens.
    @discardableResult
    func startAirlock(
        policy: String, listen: [String], upstreams: [String] = [], namespace: String? = nil, extra: [String] = [],
        label: String = "airlock"
    ) throws -> Process {
        var arguments = ["serve", "--policy", policy, "--log", path(label + ".jsonl"), "--threads", "2"]
        for l in listen { arguments += ["--listen", l] }
        for u in upstreams { arguments += ["--upstream", u] }
        let process = try start(Lab.airlock, arguments + extra, namespace: namespace, log: label)
        guard Lab.waitFor(10, { self.read(label + ".err").contains("listening on") || !process.isRunning }),
            process.isRunning
        else {
            throw LabError.command("airlock serve did not start: \(read(label + ".err"))")
        }
        return process
    }

    /// The decision log as parsed JSON objects.
    func decisions(_ label: String = "airlock") -> [[String: Any]] {
        read(label + ".jsonl").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// `dig` with short timeouts; returns its output.
    static func dig(_ arguments: [String], namespace: String? = nil) throws -> Output {
        try run("/usr/bin/dig", ["+time=3", "+tries=1"] + arguments, namespace: namespace, timeout: 10)
    }
}

/// A small zone for `example.com`: ordinary names, rebinding bait, and an answer too big for 512 bytes.
let exampleZone = """
    $ORIGIN example.com.
    $TTL 300
    @ IN SOA ns1 hostmaster 1 3600 600 86400 60
    @ IN NS ns1
    ns1 IN A 93.184.216.34
    www IN A 93.184.216.34
    www IN AAAA 2606:2800:220:1:248:1893:25c8:1946
    mail IN MX 10 www
    evil IN A 93.184.216.66
    rebind IN A 127.0.0.1
    metadata IN A 169.254.169.254
    big IN TXT "\(String(repeating: "a", count: 250))" "\(String(repeating: "b", count: 250))" "\(String(repeating: "c", count: 250))"

    """

/// Sends one UDP datagram to 127.0.0.1:`port` and waits up to `timeout` seconds for an answer.
func udpExchange(_ bytes: [UInt8], port: UInt16, timeout: Double = 2) -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    let sent = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bytes.withUnsafeBytes {
                sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    guard sent == bytes.count, timeout > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? Array(buffer[0..<n]) : nil
}

/// A minimal A query for `name` with `id`.
func queryBytes(_ name: String, id: UInt16, type: UInt16 = 1) -> [UInt8] {
    var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in name.split(separator: ".") {
        out.append(UInt8(label.utf8.count))
        out += Array(label.utf8)
    }
    out += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
    return out
}
