import CZlib
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Decompresses a gzip stream into a socket libpcap reads as an ordinary capture stream.
///
/// libpcap reads only uncompressed pcap/pcapng, and only through a `FILE`; glibc's `fopencookie`
/// (which would let libpcap call zlib directly) is hidden from Swift. So one thread runs zlib
/// (`gzread`) and writes what it inflates into one end of a local stream socket pair; libpcap reads
/// the other end through `fdopen`. zlib's transparent mode passes data that is not gzip through
/// unchanged, which is what standard input needs (a pipe can't be peeked at without consuming it).
/// A socket pair rather than a pipe, because `send(MSG_NOSIGNAL)` gets EPIPE instead of a SIGPIPE
/// when libpcap stops reading early (a damaged capture).
///
/// State: ``consumed`` is the count of compressed bytes zlib has taken from the source (for
/// progress), ``failure`` zlib's error if the compressed data was damaged; both written by the
/// decompressing thread only.
final class GzipStream: Sendable {
    /// The end libpcap reads (owned by the `FILE` libpcap closes).
    let readDescriptor: Int32
    private let consumedBytes = Atomic<Int64>(0)
    private let failureText = Mutex<String?>(nil)
    private let finished = Atomic<Bool>(false)

    /// Starts inflating `sourceDescriptor` (which the stream then owns and closes).
    init(sourceDescriptor: Int32) throws(CaptureError) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            close(sourceDescriptor)
            throw .unreadable(path: "", message: "socketpair: " + String(cString: strerror(errno)))
        }
        readDescriptor = ends[0]
        let writeDescriptor = ends[1]
        guard let gz = gzdopen(sourceDescriptor, "rb") else {
            close(sourceDescriptor)
            close(ends[0])
            close(ends[1])
            throw .unreadable(path: "", message: "zlib could not open the stream")
        }
        gzbuffer(gz, 1 << 17)
        let box = UnsafeSendable(gz)
        let thread = Thread { [self] in
            pump(box.value, into: writeDescriptor)
        }
        thread.start()
    }

    /// Compressed bytes read from the source so far.
    var consumed: Int64 { consumedBytes.load(ordering: .relaxed) }

    /// zlib's message when the compressed data was damaged or cut short, once the stream ended.
    var failure: String? { finished.load(ordering: .acquiring) ? failureText.withLock { $0 } : nil }

    /// zlib's message without the `<fd:N>: ` it puts before errors on a descriptor.
    static func message(_ text: String) -> String {
        guard text.hasPrefix("<fd:"), let end = text.firstIndex(of: ">") else { return text }
        return String(text[text.index(after: end)...].drop(while: { $0 == ":" || $0 == " " }))
    }

    private func pump(_ gz: gzFile, into fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 1 << 17)
        var problem: String?
        reading: while true {
            let n = buffer.withUnsafeMutableBytes { raw in unsafe gzread(gz, raw.baseAddress, UInt32(raw.count)) }
            consumedBytes.store(Int64(gzoffset(gz)), ordering: .relaxed)
            if n < 0 {
                var code: Int32 = 0
                problem = Self.message(String(cString: gzerror(gz, &code)))
                break
            }
            if n == 0 {
                // gzread returns 0 both at a clean end and when the last member is cut short.
                var code: Int32 = 0
                let message = String(cString: gzerror(gz, &code))
                if code != Z_OK && code != Z_STREAM_END { problem = Self.message(message) }
                break
            }
            var offset = 0
            while offset < Int(n) {
                let sent = buffer.withUnsafeBytes { raw in
                    unsafe send(fd, raw.baseAddress! + offset, Int(n) - offset, Int32(MSG_NOSIGNAL))
                }
                if sent < 0 {
                    if errno == EINTR { continue }
                    break reading  // the reader went away (EPIPE): nothing left to do
                }
                offset += sent
            }
        }
        failureText.withLock { $0 = problem }
        finished.store(true, ordering: .releasing)
        gzclose(gz)
        close(fd)
    }
}

/// zlib's handle moved to the thread that alone uses it.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
