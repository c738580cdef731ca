import COpenSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Why a TLS operation failed. Each case carries OpenSSL's own text (the `ERR_get_error` queue or
/// the X.509 verification result), so a refused server reads as
/// `TLS: certificate of 127.0.0.1 refused: unable to get local issuer certificate`.
public enum TLSClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The client context or connection could not be set up: an unreadable CA file, a host that
    /// cannot be used for verification.
    case configuration(String)
    /// The server's chain or name failed verification; the handshake was aborted, so nothing
    /// was sent to that server beyond the ClientHello.
    case certificateRefused(host: String, reason: String)
    /// A TLS failure during `operation` (handshake, read, write): no common version or cipher, an
    /// alert from the server, a corrupt record, a server that does not speak TLS.
    case protocolError(operation: String, reason: String)
    /// The server closed the connection before `operation` completed.
    case closed(operation: String)
    /// No progress within the timeout.
    case timeout(operation: String)
    /// The socket under TLS failed with `errno` `code`.
    case socket(operation: String, code: Int32)

    public var description: String {
        switch self {
        case .configuration(let why): return "TLS setup: \(why)"
        case .certificateRefused(let host, let reason): return "TLS: certificate of \(host) refused: \(reason)"
        case .protocolError(let operation, let reason): return "TLS \(operation): \(reason)"
        case .closed(let operation): return "TLS \(operation): connection closed by the server"
        case .timeout(let operation): return "TLS \(operation): timed out"
        case .socket(let operation, let code): return "TLS \(operation): \(String(cString: strerror(code)))"
        }
    }
}

/// Client TLS settings shared by every connection of one sink: TLS 1.2 or newer, the server's
/// certificate always verified, against the system trust store or against `caFile` alone (a
/// private SIEM CA). There is deliberately no switch to skip verification: tests use their own CA.
/// Built once at start-up, so a bad CA file is a start-up error, not a failure at the first alert.
public final class TLSClientContext: @unchecked Sendable {
    // SSL_CTX is safe to share between threads once configured; it is never changed after init.
    fileprivate let context: OpaquePointer
    /// Where trust comes from, for messages: `system trust store` or `CA file PATH`.
    public let trust: String

    public init(caFile: String? = nil) throws(TLSClientError) {
        ERR_clear_error()
        trust = caFile.map { "CA file \($0)" } ?? "system trust store"
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw .configuration("SSL_CTX_new: \(OpenSSLErrors.drain())")
        }
        self.context = context
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw .configuration("cannot require TLS 1.2: \(OpenSSLErrors.drain())")
        }
        // SSL_write may be retried with the same bytes at another address (Swift arrays move).
        _ = SSL_CTX_ctrl(context, SSL_CTRL_MODE, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .configuration("cannot load CA file \(caFile): \(OpenSSLErrors.drain())")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw .configuration("cannot load the system trust store: \(OpenSSLErrors.drain())")
            }
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// A client TLS session over a TCP socket that is already connected; the caller keeps owning the
/// descriptor (and closes it after ``close()``). Every operation is bounded by its timeout.
/// Pointers (SSL, BIOs) never leave this file.
///
/// OpenSSL reads and writes through two memory BIOs, and this type moves the bytes between them
/// and the socket itself with `recv` and `send(MSG_NOSIGNAL)`: OpenSSL's own socket BIO uses
/// `write(2)`, which raises SIGPIPE and kills the process when a receiver resets the connection.
///
/// The server name is verified (`SSL_set1_host`, no partial wildcards) and sent as SNI; an IP
/// literal is verified against the certificate's IP addresses (`X509_VERIFY_PARAM_set1_ip_asc`)
/// and, as RFC 6066 requires, not sent as SNI. Used by one thread at a time.
public final class TLSClientConnection {
    private let ssl: OpaquePointer
    /// Bytes received from the socket, consumed by OpenSSL (owned by `ssl`).
    private let incoming: OpaquePointer
    /// Records OpenSSL produced, sent to the socket by ``flushOutgoing(_:_:)`` (owned by `ssl`).
    private let outgoing: OpaquePointer
    private let fd: Int32
    private var scratch = [UInt8](repeating: 0, count: 16_384)
    private var peerClosed = false
    private var established = false
    private var released = false
    /// The name or address the certificate was verified for.
    public let host: String

    /// Performs the handshake; returns only with a verified server.
    public init(fd: Int32, host: String, context: TLSClientContext, timeoutMilliseconds: Int) throws(TLSClientError) {
        ERR_clear_error()
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        guard !name.isEmpty else { throw .configuration("no server name to verify") }
        guard let ssl = SSL_new(context.context) else { throw .configuration("SSL_new: \(OpenSSLErrors.drain())") }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .configuration("BIO_new: \(OpenSSLErrors.drain())")
        }
        // An empty incoming BIO means "retry" (SSL_ERROR_WANT_READ), not end of stream.
        _ = BIO_ctrl(incoming, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(ssl, incoming, outgoing)
        (self.ssl, self.incoming, self.outgoing, self.fd, self.host) = (ssl, incoming, outgoing, fd, name)

        if Self.isIPLiteral(name) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 else {
                throw .configuration("'\(name)' cannot be verified as an IP address: \(OpenSSLErrors.drain())")
            }
        } else {
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            let sni = name.withCString {
                SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0))
            }
            guard SSL_set1_host(ssl, name) == 1, sni == 1 else {
                throw .configuration("'\(name)' cannot be verified as a host name: \(OpenSSLErrors.drain())")
            }
        }

        let deadline = Self.deadline(timeoutMilliseconds)
        do throws(TLSClientError) {
            let result = try drive("handshake", deadline) { SSL_connect(ssl) }
            if result <= 0 { throw .closed(operation: "handshake") }
        } catch {
            let verdict = SSL_get_verify_result(ssl)
            if verdict != X509_V_OK {
                throw .certificateRefused(host: name, reason: String(cString: X509_verify_cert_error_string(verdict)))
            }
            throw error
        }
        // SSL_VERIFY_PEER already aborts on a bad chain or name; checked again so that no change
        // of context settings can ever let an unverified session through.
        let verdict = SSL_get_verify_result(ssl)
        guard verdict == X509_V_OK else {
            throw .certificateRefused(host: name, reason: String(cString: X509_verify_cert_error_string(verdict)))
        }
        guard SSL_get0_peer_certificate(ssl) != nil else {
            throw .certificateRefused(host: name, reason: "the server presented no certificate")
        }
        established = true
    }

    /// The negotiated protocol (`TLSv1.3`, `TLSv1.2`).
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Writes all of `bytes` within `timeoutMilliseconds`.
    public func write(_ bytes: [UInt8], timeoutMilliseconds: Int) throws(TLSClientError) {
        let deadline = Self.deadline(timeoutMilliseconds)
        var offset = 0
        while offset < bytes.count {
            let count = Int32(clamping: bytes.count - offset)
            let written = try drive("write", deadline) {
                bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, count) }
            }
            guard written > 0 else { throw .closed(operation: "write") }
            offset += Int(written)
        }
    }

    /// Up to `max` decrypted bytes; empty when the server closed the session cleanly (close_notify).
    public func read(max: Int = 16_384, timeoutMilliseconds: Int) throws(TLSClientError) -> [UInt8] {
        let deadline = Self.deadline(timeoutMilliseconds)
        var buffer = [UInt8](repeating: 0, count: Swift.max(1, max))
        let count = try drive("read", deadline) {
            buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
        }
        return count > 0 ? Array(buffer.prefix(Int(count))) : []
    }

    /// Sends close_notify if it can without waiting, and frees the session. Call it before the
    /// descriptor is closed; the descriptor itself stays open.
    public func close() {
        guard !released else { return }
        released = true
        if established && !peerClosed {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            try? flushOutgoing("close", ContinuousClock.now)
        }
        SSL_free(ssl)
        ERR_clear_error()
    }

    /// Frees memory only: by now the owner may have closed the descriptor (and its number may
    /// belong to another file), so nothing is written to it.
    deinit {
        if !released { SSL_free(ssl) }
    }

    // MARK: Moving bytes between OpenSSL and the socket

    /// Runs one OpenSSL call until it completes, feeding it socket bytes while it wants to read and
    /// sending what it produced. Returns the call's positive result, or 0 on a clean close.
    private func drive(_ operation: String, _ deadline: ContinuousClock.Instant, _ step: () -> Int32) throws(TLSClientError)
        -> Int32
    {
        while true {
            ERR_clear_error()
            let result = step()
            let status = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, result)
            switch status {
            case SSL_ERROR_NONE, SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                try flushOutgoing(operation, deadline)
                if status == SSL_ERROR_NONE { return result }
                // Memory BIOs never refuse a write, so WANT_WRITE only needs the flush above.
                if status == SSL_ERROR_WANT_READ { try fillIncoming(operation, deadline) }
            case SSL_ERROR_ZERO_RETURN:
                return 0
            default:
                let failure = failure(operation, status: status)
                try? flushOutgoing(operation, ContinuousClock.now)  // the alert we raise, if any
                throw failure
            }
        }
    }

    /// The error for a failed call, read from OpenSSL's queue (which this empties).
    private func failure(_ operation: String, status: Int32) -> TLSClientError {
        let codes = OpenSSLErrors.codes()
        if peerClosed && (codes.isEmpty || ERR_GET_REASON(codes[0]) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            return .closed(operation: operation)
        }
        if codes.isEmpty { return .protocolError(operation: operation, reason: "SSL_get_error \(status)") }
        return .protocolError(operation: operation, reason: OpenSSLErrors.text(codes))
    }

    /// Reads what the socket has (waiting until the deadline) into the incoming BIO; at end of
    /// stream, makes the BIO report end of stream so OpenSSL sees it.
    private func fillIncoming(_ operation: String, _ deadline: ContinuousClock.Instant) throws(TLSClientError) {
        guard !peerClosed else { throw .closed(operation: operation) }
        while true {
            try wait(for: Int16(POLLIN), operation, deadline)
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                let stored = scratch.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32(n)) }
                guard stored == n else { throw .configuration("BIO_write: \(OpenSSLErrors.drain())") }
                return
            }
            if n == 0 {
                peerClosed = true
                _ = BIO_ctrl(incoming, BIO_C_SET_BUF_MEM_EOF_RETURN, 0, nil)
                return
            }
            let code = errno
            if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { continue }
            throw .socket(operation: operation, code: code)
        }
    }

    /// Sends everything OpenSSL has produced, waiting for room until the deadline.
    private func flushOutgoing(_ operation: String, _ deadline: ContinuousClock.Instant) throws(TLSClientError) {
        while BIO_ctrl_pending(outgoing) > 0 {
            let count = scratch.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32(clamping: $0.count)) }
            guard count > 0 else { return }
            var offset = 0
            while offset < Int(count) {
                let sent = scratch.withUnsafeBytes {
                    send(fd, $0.baseAddress! + offset, Int(count) - offset, Int32(MSG_NOSIGNAL))
                }
                if sent > 0 {
                    offset += sent
                    continue
                }
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    try wait(for: Int16(POLLOUT), operation, deadline)
                    continue
                }
                if code == EPIPE || code == ECONNRESET {
                    peerClosed = true
                    throw .closed(operation: operation)
                }
                throw .socket(operation: operation, code: code)
            }
        }
    }

    private func wait(for events: Int16, _ operation: String, _ deadline: ContinuousClock.Instant) throws(TLSClientError) {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let left = max(0, Int(((deadline - ContinuousClock.now) / .milliseconds(1)).rounded(.up)))
            let n = poll(&pfd, 1, Int32(clamping: left))
            if n > 0 { return }
            if n == 0 { throw .timeout(operation: operation) }
            let code = errno
            if code != EINTR { throw .socket(operation: operation, code: code) }
        }
    }

    private static func deadline(_ milliseconds: Int) -> ContinuousClock.Instant {
        ContinuousClock.now.advanced(by: .milliseconds(max(0, milliseconds)))
    }

    private static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

/// OpenSSL's per-thread error queue as text.
private enum OpenSSLErrors {
    /// Empties the queue, oldest first.
    static func codes() -> [UInt] {
        var out: [UInt] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { return out }
            if out.count < 8 { out.append(code) }
        }
    }

    static func text(_ codes: [UInt]) -> String {
        codes.map { code in
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }.joined(separator: "; ")
    }

    static func drain() -> String {
        let codes = codes()
        return codes.isEmpty ? "no OpenSSL error queued" : text(codes)
    }
}
