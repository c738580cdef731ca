import Synchronization

/// Asks a live input to end (set from the thread that takes SIGINT/SIGTERM); the reader checks it
/// at least every 100 ms.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func set() { flag.store(true, ordering: .releasing) }

    public var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// Input that is not a capture file (`airlock watch`): a network interface through libpcap, or
/// dnstap from a resolver (a Unix socket it connects to, or a file it wrote). Either goes down the
/// same reader thread, pipeline and engine as replay.
public struct LiveInput: Sendable {
    public enum Source: Sendable, Equatable {
        /// Passive capture on an interface.
        case interface(String, promiscuous: Bool)
        /// dnstap: `unix:/path` listens on a socket, anything else reads a file.
        case dnstap(String)
    }

    public var source: Source
    public let stop: StopSignal

    public init(_ source: Source, stop: StopSignal) {
        self.source = source
        self.stop = stop
    }

    /// How the input is named in the summary (where a file's path would be).
    public var name: String {
        switch source {
        case .interface(let name, _): return "interface:" + name
        case .dnstap(let location): return "dnstap:" + location
        }
    }
}
