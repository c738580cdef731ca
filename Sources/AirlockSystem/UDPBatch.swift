import AirlockEvents
import CAirlockSys

#if canImport(Glibc)
    import Glibc
#endif

/// Fixed buffers for `recvmmsg`/`sendmmsg`: one slot per datagram with its address, iovec and
/// header, allocated once per worker so the packet path allocates nothing for I/O.
///
/// Receive: ``receive(_:)`` fills up to `capacity` slots; ``datagram(_:)`` copies one out.
/// Send: ``append(_:to:)`` copies an answer into the next slot; ``flush(_:)`` sends them all.
package final class UDPBatch {
    package let capacity: Int
    package let slotSize: Int
    private let buffers: UnsafeMutableRawPointer
    private let headers: UnsafeMutablePointer<airlock_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    package private(set) var count = 0

    package init(capacity: Int, slotSize: Int) {
        self.capacity = capacity
        self.slotSize = slotSize
        buffers = .allocate(byteCount: capacity * slotSize, alignment: 16)
        headers = .allocate(capacity: capacity)
        vectors = .allocate(capacity: capacity)
        addresses = .allocate(capacity: capacity)
        headers.initialize(repeating: airlock_mmsghdr(), count: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        addresses.initialize(repeating: sockaddr_storage(), count: capacity)
    }

    deinit {
        buffers.deallocate()
        headers.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }

    private func prepare(_ i: Int, length: Int, addressLength: socklen_t) {
        vectors[i] = iovec(iov_base: buffers + i * slotSize, iov_len: length)
        headers[i].msg_hdr = msghdr(
            msg_name: UnsafeMutableRawPointer(addresses + i), msg_namelen: addressLength, msg_iov: vectors + i,
            msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0)
        headers[i].msg_len = 0
    }

    // MARK: Receiving

    /// Receives up to `capacity` datagrams without blocking. Returns the count (0 when none was
    /// waiting) or a negative errno.
    package func receive(_ fd: Int32) -> Int {
        for i in 0..<capacity {
            prepare(i, length: slotSize, addressLength: socklen_t(MemoryLayout<sockaddr_storage>.size))
        }
        let n = airlock_recvmmsg(fd, headers, UInt32(capacity), Int32(MSG_DONTWAIT))
        if n < 0 {
            let code = errno
            return code == EAGAIN || code == EWOULDBLOCK || code == EINTR ? 0 : -Int(code)
        }
        count = Int(n)
        return Int(n)
    }

    /// Datagram `i` of the last receive: its bytes, sender, and whether it was cut to fit the slot.
    package func datagram(_ i: Int) -> (bytes: [UInt8], peer: Endpoint?, truncated: Bool) {
        let length = Int(headers[i].msg_len)
        let bytes = [UInt8](UnsafeRawBufferPointer(start: buffers + i * slotSize, count: min(length, slotSize)))
        let truncated = headers[i].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0
        return (bytes, SocketAddress.read(addresses + i), truncated)
    }

    // MARK: Sending

    package var isFull: Bool { count == capacity }

    /// Queues `bytes` for `peer`; false when the batch is full or the datagram exceeds a slot
    /// (the caller sends those on their own).
    package func append(_ bytes: [UInt8], to peer: Endpoint) -> Bool {
        guard count < capacity, bytes.count <= slotSize else { return false }
        let length = SocketAddress.write(peer, into: addresses + count)
        bytes.withUnsafeBytes { (buffers + count * slotSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        prepare(count, length: bytes.count, addressLength: length)
        count += 1
        return true
    }

    /// Queues `bytes` for a connected socket (no address); false when full or too big for a slot.
    package func appendConnected(_ bytes: [UInt8]) -> Bool {
        guard count < capacity, bytes.count <= slotSize else { return false }
        bytes.withUnsafeBytes { (buffers + count * slotSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        prepare(count, length: bytes.count, addressLength: 0)
        headers[count].msg_hdr.msg_name = nil
        count += 1
        return true
    }

    /// Sends every queued datagram. Datagrams the socket refuses (buffer full) are dropped and
    /// counted, never waited for. Returns how many were dropped.
    @discardableResult
    package func flush(_ fd: Int32) -> (dropped: Int, error: Int32) {
        var sent = 0
        var dropped = 0
        var lastError: Int32 = 0
        while sent < count {
            let n = airlock_sendmmsg(fd, headers + sent, UInt32(count - sent), 0)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                // EAGAIN or a per-datagram error: skip the head datagram and go on with the rest.
                lastError = n < 0 ? errno : EIO
                dropped += 1
                sent += 1
                continue
            }
            sent += Int(n)
        }
        count = 0
        return (dropped, lastError)
    }

    /// Sends one datagram at once (those too big for a slot).
    package static func sendOne(_ fd: Int32, _ bytes: [UInt8], to peer: Endpoint) {
        _ = SocketAddress.with(peer) { address, length in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
        }
    }
}
