import CAirlockSys

#if canImport(Glibc)
    import Glibc
#endif

/// Signals for a foreground server: block them in every thread, take them on one.
public enum ProxySignals {
    public enum Signal: Sendable {
        /// SIGHUP: reload the policy (and reopen log files).
        case reload
        /// SIGINT, SIGTERM.
        case stop
        /// SIGUSR1: print counters.
        case status
        /// SIGUSR2: reopen log files only (after logrotate moved them), nothing reloaded.
        case reopenLogs
    }

    /// Blocks SIGHUP, SIGINT, SIGTERM, SIGUSR1 and SIGUSR2; call before starting any thread.
    public static func block() {
        _ = airlock_block_signals()
    }

    /// Waits for the next blocked signal.
    public static func next() -> Signal {
        switch airlock_wait_signal() {
        case SIGHUP: return .reload
        case SIGUSR1: return .status
        case SIGUSR2: return .reopenLogs
        default: return .stop
        }
    }
}
