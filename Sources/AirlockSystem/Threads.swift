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
