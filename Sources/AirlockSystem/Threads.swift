import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Starts and joins POSIX threads: the workers run plain loops, no Dispatch or Swift concurrency.
package enum Threads {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread (it inherits the caller's signal mask).
    package static func start(_ body: @escaping @Sendable () -> Void) throws(SystemError) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError("pthread_create", code: result)
        }
        return thread
    }

    package static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}

/// The threads a server started, joined together when it stops: one per worker (the DNS and HTTP
/// servers), or one (the DNS core's resolver).
package final class ThreadGroup: Sendable {
    private let threads = Mutex<[pthread_t]>([])

    package init() {}

    /// Starts one thread per body.
    package func start(_ bodies: [@Sendable () -> Void]) throws(SystemError) {
        for body in bodies {
            let thread = try Threads.start(body)
            threads.withLock { $0.append(thread) }
        }
    }

    /// Waits for every thread started so far (tell their loops to stop first); a second call finds none.
    package func join() {
        let running = threads.withLock { list -> [pthread_t] in
            defer { list = [] }
            return list
        }
        for thread in running { Threads.join(thread) }
    }
}
