import CAirlockSys

#if canImport(Glibc)
    import Glibc
#endif

/// One epoll instance: descriptors registered with a 64-bit tag, ready tags returned in bulk.
package final class EventPoll {
    package let fd: Int32
    private let capacity = 256
    private let tags: UnsafeMutablePointer<UInt64>
    private let flags: UnsafeMutablePointer<UInt32>

    package static let readable = UInt32(AIRLOCK_EPOLLIN)
    package static let writable = UInt32(AIRLOCK_EPOLLOUT)
    package static let error = UInt32(AIRLOCK_EPOLLERR)
    package static let hangup = UInt32(AIRLOCK_EPOLLHUP)

    package init() throws(SystemError) {
        fd = airlock_epoll_create()
        guard fd >= 0 else { throw SystemError("epoll_create1") }
        tags = .allocate(capacity: capacity)
        flags = .allocate(capacity: capacity)
    }

    deinit {
        close(fd)
        tags.deallocate()
        flags.deallocate()
    }

    package func add(_ descriptor: Int32, tag: UInt64, events: UInt32 = EventPoll.readable) throws(SystemError) {
        guard airlock_epoll_ctl(fd, Int32(AIRLOCK_EPOLL_CTL_ADD), descriptor, events, tag) == 0 else {
            throw SystemError("epoll_ctl add")
        }
    }

    package func modify(_ descriptor: Int32, tag: UInt64, events: UInt32) {
        _ = airlock_epoll_ctl(fd, Int32(AIRLOCK_EPOLL_CTL_MOD), descriptor, events, tag)
    }

    package func remove(_ descriptor: Int32) {
        _ = airlock_epoll_ctl(fd, Int32(AIRLOCK_EPOLL_CTL_DEL), descriptor, 0, 0)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and calls `body` with each ready tag and its flags.
    package func wait(timeoutMilliseconds: Int32, _ body: (UInt64, UInt32) -> Void) {
        let n = airlock_epoll_wait(fd, tags, flags, Int32(capacity), timeoutMilliseconds)
        guard n > 0 else { return }
        for i in 0..<Int(n) { body(tags[i], flags[i]) }
    }
}

/// An eventfd to wake a worker out of `epoll_wait` (stop requests).
package final class WakeEvent: Sendable {
    package let fd: Int32

    package init() throws(SystemError) {
        fd = airlock_eventfd()
        guard fd >= 0 else { throw SystemError("eventfd") }
    }

    deinit { close(fd) }

    package func signal() { _ = airlock_eventfd_signal(fd) }
    package func drain() { _ = airlock_eventfd_drain(fd) }
}
