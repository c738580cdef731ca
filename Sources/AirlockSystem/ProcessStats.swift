import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// This process's resource use, read from `/proc/self` when metrics are scraped (the figures
/// Prometheus's standard process collector exports: resident memory, open descriptors, CPU time,
/// start time and the descriptor limit).
public struct ProcessStats: Sendable, Equatable {
    public var residentBytes: Int
    public var virtualBytes: Int
    public var openFileDescriptors: Int
    public var maxFileDescriptors: Int
    /// User plus system CPU seconds.
    public var cpuSeconds: Double
    /// Seconds since the epoch when the process started.
    public var startTimeSeconds: Double

    /// Reads the current figures; nil where `/proc` is not mounted.
    public static func current() -> ProcessStats? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double { fields.count > n - 3 ? Double(fields[n - 3]) ?? 0 : 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        var bootTime = 0.0
        if let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") })
        {
            bootTime = Double(line.dropFirst(6)) ?? 0
        }
        return ProcessStats(
            residentBytes: Int(field(24) * page), virtualBytes: Int(field(23)),
            openFileDescriptors: max(0, fds - 1),  // the directory listing's own descriptor
            maxFileDescriptors: Int(limit.rlim_cur), cpuSeconds: (field(14) + field(15)) / ticks,
            startTimeSeconds: bootTime + field(22) / ticks)
    }
}
