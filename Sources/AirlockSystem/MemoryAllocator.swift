import CAirlockSys

/// How glibc's allocator hands large blocks back: the long-running commands set it once at start.
public enum MemoryAllocator {
    /// Blocks of at least this many bytes get their own mapping and go back to the system when freed.
    public static let largeBlockBytes: Int32 = 1 << 20

    /// Fixes glibc's mmap threshold at ``largeBlockBytes``.
    ///
    /// By default the threshold moves up to the size of the largest mapped block freed (up to 32 MB):
    /// once the engine's bounded tables had been resized a few times, their multi-megabyte storage
    /// (dictionaries regrown at every generation, the proxy's packet caches) was carved out of the
    /// per-thread arenas instead, and freed there it stayed resident. Under `Benchmarks/live-flood.sh`
    /// the two worker threads' arenas held ~180 MB of which ~90 MB was free (malloc_info), the peak RSS
    /// 337-347 MiB; with the threshold fixed (and the tables reused across generations), 254 MiB, the
    /// arenas ~60 MB with ~9 MB free. Setting the threshold also turns the sliding trim threshold off;
    /// 1 MB is far above any per-query allocation, so the query path never maps memory.
    public static func returnLargeBlocksToTheSystem() {
        _ = airlock_set_mmap_threshold(largeBlockBytes)
    }
}
