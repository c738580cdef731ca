import CAirlockSys

#if canImport(Glibc)
    import Glibc
#endif

/// Signals for a foreground server: block them in every thread, take them on one.
public enum ProxySignals {
    public enum Signal: Sendable {
        case reload
        case stop
        case status
    }

    /// Blocks SIGHUP, SIGINT, SIGTERM and SIGUSR1; call before starting any thread.
    public static func block() {
        _ = airlock_block_signals()
    }

    /// Waits for the next blocked signal.
    public static func next() -> Signal {
        switch airlock_wait_signal() {
        case SIGHUP: return .reload
        case SIGUSR1: return .status
        default: return .stop
        }
    }
}
