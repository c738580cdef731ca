import AirlockSystem
import AirlockTLSClient
import Foundation

/// Why one delivery attempt failed. Durable sinks retry with backoff; others count and drop.
public enum DeliveryError: Error, CustomStringConvertible, Sendable {
    case system(SystemError)
    /// The receiver answered with a non-2xx status.
    case http(status: Int, reason: String)
    /// The receiver's answer was not HTTP, or stopped early.
    case badResponse(String)
    /// TLS to an https receiver failed: certificate refused, handshake or record error.
    case tls(TLSClientError)

    public var description: String {
        switch self {
        case .system(let e): return e.description
        case .http(let status, let reason): return "HTTP \(status) \(reason)"
        case .badResponse(let why): return "bad response: \(why)"
        case .tls(let e): return e.description
        }
    }
}

/// Sends formatted records somewhere. Called only from its sink's delivery thread, so it may keep
/// connections and file descriptors without locks.
protocol AlertTransport: AnyObject, Sendable {
    /// Delivers the batch in order; returning means every record was accepted.
    func send(_ batch: [SpoolRecord]) throws(DeliveryError)
    func close()
    /// Opens a file sink's path again after it was moved away (log rotation). May be called from
    /// any thread: the file's writer takes its own lock. Other transports have nothing to reopen.
    func reopen() throws(SystemError)
}

extension AlertTransport {
    func reopen() throws(SystemError) {}
}

/// JSON lines appended to a file, rotated by size: `path` → `path.1` → … → `path.<keep>` (oldest
/// dropped). Rotation happens before a batch that would push the file past `maxBytes`.
final class FileTransport: AlertTransport, @unchecked Sendable {
    let path: String
    let maxBytes: Int
    let keep: Int
    private let file: JSONLinesFile

    init(path: String, maxBytes: Int, keep: Int) throws(SystemError) {
        self.path = path
        self.maxBytes = maxBytes
        self.keep = keep
        file = try JSONLinesFile(path: path)
    }

    /// Appends the batch, rotating between records so no file grows past `maxBytes` (unless one
    /// record alone is larger).
    func send(_ batch: [SpoolRecord]) throws(DeliveryError) {
        var pending: [UInt8] = []
        do {
            for record in batch {
                let length = record.payload.count + 1
                let size = file.size
                if size + pending.count > 0 && size + pending.count + length > maxBytes {
                    try flush(&pending)
                    if file.size > 0 { try rotate() }
                }
                pending += record.payload
                pending.append(0x0A)
            }
            try flush(&pending)
        } catch {
            throw .system(error)
        }
    }

    private func flush(_ pending: inout [UInt8]) throws(SystemError) {
        guard !pending.isEmpty else { return }
        try file.write(pending)
        pending.removeAll(keepingCapacity: true)
    }

    func reopen() throws(SystemError) { try file.reopen() }

    private func rotate() throws(SystemError) {
        let fm = FileManager.default
        if keep > 0 {
            try? fm.removeItem(atPath: "\(path).\(keep)")
            if keep > 1 {
                for i in stride(from: keep - 1, through: 1, by: -1) where fm.fileExists(atPath: "\(path).\(i)") {
                    try? fm.moveItem(atPath: "\(path).\(i)", toPath: "\(path).\(i + 1)")
                }
            }
            try? fm.moveItem(atPath: path, toPath: "\(path).1")
        } else {
            try? fm.removeItem(atPath: path)
        }
        try file.reopen()
    }

    func close() {}
}

/// JSON lines on standard output.
final class StdoutTransport: AlertTransport, @unchecked Sendable {
    private let file = JSONLinesFile.standardOutput()

    func send(_ batch: [SpoolRecord]) throws(DeliveryError) {
        var bytes: [UInt8] = []
        for record in batch {
            bytes += record.payload
            bytes.append(0x0A)
        }
        do { try file.write(bytes) } catch { throw .system(error) }
    }

    func close() {}
}

/// RFC 5424 datagrams over UDP (RFC 5426): one message per datagram, no delivery guarantee.
final class SyslogUDPTransport: AlertTransport, @unchecked Sendable {
    let host: String
    let port: UInt16
    private var socket: UDPSender?

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    func send(_ batch: [SpoolRecord]) throws(DeliveryError) {
        do {
            if socket == nil { socket = try UDPSender(host: host, port: port) }
            for record in batch { try socket!.send(record.payload) }
        } catch {
            socket?.close()
            socket = nil
            throw .system(error)
        }
    }

    func close() {
        socket?.close()
        socket = nil
    }
}

/// RFC 5424 over TCP with RFC 6587 octet-counting framing. The connection is reused and replaced
/// when the receiver closed it. TCP syslog has no acknowledgement: a batch counts as delivered once
/// written to a connection that was open, and a batch whose write fails is sent again in full.
final class SyslogTCPTransport: AlertTransport, @unchecked Sendable {
    let host: String
    let port: UInt16
    let timeoutMilliseconds: Int
    private var connection: TCPConnection?

    init(host: String, port: UInt16, timeoutMilliseconds: Int) {
        self.host = host
        self.port = port
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    func send(_ batch: [SpoolRecord]) throws(DeliveryError) {
        var bytes: [UInt8] = []
        for record in batch { bytes += SyslogFormatter.octetCounted(record.payload) }
        do {
            if let c = connection, c.peerClosed {
                c.close()
                connection = nil
            }
            if connection == nil {
                connection = try TCPConnection.connect(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds)
            }
            try connection!.send(bytes, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            connection?.close()
            connection = nil
            throw .system(error)
        }
    }

    func close() {
        connection?.close()
        connection = nil
    }
}
