import AirlockSystem
import AirlockTLSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Why the connection to Redis failed, in the words of the system or of OpenSSL.
struct RedisConnectionError: Error, CustomStringConvertible {
    var description: String
}

/// One connection to Redis: a TCP stream from the system layer, with TLS on it when the policy
/// asks (`AirlockTLSClient`: the certificate always verified). Used by the fleet thread alone;
/// every call has a timeout.
final class RedisConnection {
    private let tcp: TCPConnection
    private let tls: TLSClientConnection?
    let peer: String

    private init(tcp: TCPConnection, tls: TLSClientConnection?) {
        self.tcp = tcp
        self.tls = tls
        self.peer = tcp.peer
    }

    /// Connects (the host resolved now, each address tried in turn) and, with `tls`, verifies the
    /// server's certificate for `serverName` before anything is sent.
    static func open(
        host: String, port: UInt16, tls: (context: TLSClientContext, serverName: String)?, timeoutMilliseconds: Int
    ) throws(RedisConnectionError) -> RedisConnection {
        let tcp: TCPConnection
        do {
            tcp = try TCPConnection.connect(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw RedisConnectionError(description: error.description)
        }
        guard let tls else { return RedisConnection(tcp: tcp, tls: nil) }
        do {
            let session = try TLSClientConnection(
                fd: tcp.fd, host: tls.serverName, context: tls.context, timeoutMilliseconds: timeoutMilliseconds)
            return RedisConnection(tcp: tcp, tls: session)
        } catch {
            tcp.close()
            throw RedisConnectionError(description: error.description)
        }
    }

    func write(_ bytes: [UInt8], timeoutMilliseconds: Int) throws(RedisConnectionError) {
        do {
            if let tls {
                try tls.write(bytes, timeoutMilliseconds: timeoutMilliseconds)
            } else {
                try tcp.send(bytes, timeoutMilliseconds: timeoutMilliseconds)
            }
        } catch {
            throw RedisConnectionError(description: "send to Redis: \(error)")
        }
    }

    /// What arrived within `timeoutMilliseconds`: nil when nothing did, empty when Redis closed the
    /// connection.
    func read(timeoutMilliseconds: Int) throws(RedisConnectionError) -> [UInt8]? {
        if let tls {
            do {
                let bytes = try tls.read(timeoutMilliseconds: timeoutMilliseconds)
                return bytes
            } catch {
                if case .timeout = error { return nil }
                if case .closed = error { return [] }
                throw RedisConnectionError(description: "read from Redis: \(error)")
            }
        }
        do {
            return try tcp.receive(max: 65_536, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            if error.code == ETIMEDOUT || error.code == EAGAIN { return nil }
            throw RedisConnectionError(description: "read from Redis: \(error)")
        }
    }

    func close() {
        tls?.close()
        tcp.close()
    }

    deinit { close() }
}
