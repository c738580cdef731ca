import AirlockDnstap
import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// Where dnstap comes from: a file written by a resolver (or `fstrm_capture`), or a Unix socket
/// Airlock listens on and resolvers connect to (Unbound's `dnstap-socket-path`, dnsdist's
/// `newFrameStreamUnixLogger`, Knot Resolver, BIND's `dnstap-output unix`). The I/O half of dnstap
/// input; the framing and decoding are ``FrameStreamDecoder`` and ``DnstapRecord`` (no I/O).
///
/// Runs on replay's reader thread: blocking reads, a `poll` every 100 ms so a stop request is seen.
/// A connection that breaks the protocol is closed and counted; others carry on.
struct DnstapSource {
    enum Location: Sendable, Equatable {
        case file(String)
        case socket(String)

        /// `unix:/path` is a socket, anything else a file.
        init(_ text: String) {
            self = text.hasPrefix("unix:") ? .socket(String(text.dropFirst(5))) : .file(text)
        }
    }

    enum Failure: Error, CustomStringConvertible {
        case system(String, String)

        var description: String {
            switch self {
            case .system(let what, let why): return "\(what): \(why)"
            }
        }
    }

    /// Counts of what was read, for the summary's malformed reasons.
    var records = 0
    var badFrames = 0
    var badRecords = 0
    var connections = 0

    /// Reads a dnstap file to its end (or `stop`): each record's client message to `body`.
    mutating func readFile(_ path: String, stop: () -> Bool, _ body: (DnstapMessage) -> Void) throws(Failure) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var decoder = FrameStreamDecoder()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !stop() {
            let n = buffer.withUnsafeMutableBytes { raw in unsafe read(fd, raw.baseAddress, raw.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(path, String(cString: strerror(errno)))
            }
            if n == 0 { break }
            decoder.feed(buffer[0..<n])
            if let problem = drain(&decoder, reply: nil, body) { return problem }
        }
        return decoder.pendingBytes > 0 ? "dnstap file ends inside a frame (\(decoder.pendingBytes) bytes)" : nil
    }

    /// Listens on a Unix socket until `stop`, serving every writer that connects.
    /// `ready` runs once the socket listens.
    mutating func serve(_ path: String, stop: () -> Bool, ready: () -> Void, _ body: (DnstapMessage) -> Void)
        throws(Failure)
    {
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw .system("socket", String(cString: strerror(errno))) }
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .system(path, "path too long") }
        unsafe withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        // A socket left by an earlier run (not a live listener: bind would fail on that) is replaced.
        unlink(path)
        let bound = unsafe withUnsafePointer(to: &address) {
            unsafe $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw .system(path, "bind: " + String(cString: strerror(errno))) }
        defer { unlink(path) }
        // Writers run as other users (unbound drops privileges): the socket is theirs to connect to.
        chmod(path, 0o666)
        guard listen(listener, 16) == 0 else { throw .system(path, "listen: " + String(cString: strerror(errno))) }
        ready()

        var clients: [Int32: FrameStreamDecoder] = [:]
        defer { for fd in clients.keys { close(fd) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !stop() {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for fd in clients.keys.sorted() { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let ready = unsafe poll(&fds, nfds_t(fds.count), 100)
            if ready <= 0 { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let fd = accept(listener, nil, nil)
                if fd >= 0 {
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    clients[fd] = FrameStreamDecoder()
                    connections += 1
                }
            }
            for entry in fds.dropFirst() where entry.revents != 0 {
                let fd = entry.fd
                let n = buffer.withUnsafeMutableBytes { raw in unsafe read(fd, raw.baseAddress, raw.count) }
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    close(fd)
                    clients[fd] = nil
                    continue
                }
                var decoder = clients[fd]!
                decoder.feed(buffer[0..<n])
                let problem = drain(&decoder, reply: fd, body)
                if problem != nil || decoder.finished {
                    close(fd)
                    clients[fd] = nil
                } else {
                    clients[fd] = decoder
                }
            }
        }
    }

    /// Handles every complete frame; answers READY and STOP on a bidirectional connection (`reply`).
    /// Returns why the stream was given up, if it was.
    private mutating func drain(
        _ decoder: inout FrameStreamDecoder, reply: Int32?, _ body: (DnstapMessage) -> Void
    ) -> String? {
        while true {
            let event: FrameStreamDecoder.Event?
            do { event = try decoder.next() } catch {
                badFrames += 1
                return "dnstap: \(error)"
            }
            guard let event else { return nil }
            switch event {
            case .data(let frame):
                records += 1
                do {
                    if let message = try DnstapRecord.decode(frame).clientMessage { body(message) }
                } catch {
                    badRecords += 1
                }
            case .ready:
                if let reply { Self.send(reply, FrameStreams.control(FrameStreams.accept, contentType: FrameStreams.dnstapContentType)) }
            case .stop:
                if let reply { Self.send(reply, FrameStreams.control(FrameStreams.finish)) }
            case .start, .otherControl:
                break
            }
        }
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                unsafe Glibc.send(fd, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
