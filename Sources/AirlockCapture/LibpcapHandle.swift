import CPcap
#if canImport(Glibc)
    import Glibc
#endif

/// The only place that holds libpcap's pointers: an open offline `pcap_t`, closed on deinit.
final class LibpcapHandle {
    enum NextResult {
        case packet
        case endOfFile
        case failed(String)
    }

    private let pcap: OpaquePointer
    /// The stream buffer of a file this handle opened (glibc takes a buffer's size only with the
    /// buffer): freed after the stream is closed.
    private let streamBuffer: UnsafeMutableRawPointer?

    private init(pcap: OpaquePointer, streamBuffer: UnsafeMutableRawPointer? = nil) {
        self.pcap = pcap
        self.streamBuffer = streamBuffer
    }

    deinit {
        pcap_close(pcap)
        free(streamBuffer)
    }

    /// Bytes of a file's stream buffer: a read(2) per megabyte rather than per 4 KB block.
    static let streamBufferBytes = 1 << 20

    /// Opens a pcap or pcapng file with nanosecond timestamps, telling a missing or unreadable file
    /// apart from one libpcap cannot parse.
    static func openOffline(path: String) throws(CaptureError) -> LibpcapHandle {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, message: String(cString: strerror(code)))
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw .unreadable(path: path, message: "is a directory") }
        guard access(path, R_OK) == 0 else {
            throw .unreadable(path: path, message: String(cString: strerror(errno)))
        }
        // Opened here rather than by pcap_open_offline, to set the stream up for one reader: no lock
        // taken for every fread (libpcap reads each record's header and bytes separately: the locking
        // was ~4 % of replay's reader thread) and a 1 MB buffer (a read(2) per megabyte, not per 4 KB).
        guard let file = fopen(path, "rb") else {
            throw .unreadable(path: path, message: String(cString: strerror(errno)))
        }
        _ = __fsetlocking(file, Int32(FSETLOCKING_BYCALLER))
        let buffer = malloc(streamBufferBytes)
        if let buffer { _ = setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, streamBufferBytes) }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        let opened = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        guard let opened else {
            fclose(file)
            free(buffer)
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .notACapture(path: path, message: message)
        }
        return LibpcapHandle(pcap: opened, streamBuffer: buffer)
    }

    /// Opens a capture stream on a descriptor (a pipe, socket or standard input); `path` names it in
    /// errors. The descriptor is owned by the handle from here on, whatever happens.
    static func openStream(descriptor: Int32, path: String) throws(CaptureError) -> LibpcapHandle {
        guard let file = fdopen(descriptor, "rb") else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw .unreadable(path: path, message: message)
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        let opened = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        guard let opened else {
            fclose(file)
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .notACapture(path: path, message: message.isEmpty ? "empty input" : message)
        }
        return LibpcapHandle(pcap: opened)
    }

    var linkType: Int32 { pcap_datalink(pcap) }

    var snapshotLength: Int { Int(pcap_snapshot(pcap)) }

    static func name(ofLinkType linkType: Int32) -> String {
        guard let name = pcap_datalink_val_to_name(linkType) else { return "DLT_\(linkType)" }
        return String(cString: name)
    }

    /// Compiles and installs a BPF filter; returns libpcap's message on failure, nil on success.
    func setFilter(_ expression: String) -> String? {
        var program = bpf_program()
        guard pcap_compile(pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            return String(cString: pcap_geterr(pcap))
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(pcap, &program) == 0 else { return String(cString: pcap_geterr(pcap)) }
        return nil
    }

    /// The position of the next record in the file, when libpcap reads through a `FILE`.
    var fileOffset: Int64? {
        guard let file = pcap_file(pcap) else { return nil }
        let offset = ftello(file)
        return offset >= 0 ? Int64(offset) : nil
    }

    /// Reads one record and, if there is one, passes its header fields and a span over libpcap's buffer
    /// (valid only during the call) to `body`. Inlined into the reader's loop, so `body` is not a
    /// closure called through a context per packet.
    @inline(__always)
    func next<E: Error>(
        _ body: (_ seconds: Int64, _ nanoseconds: Int64, _ captured: Int, _ original: Int, Span<UInt8>) throws(E) -> Void
    ) throws(E) -> NextResult {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(pcap, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return .failed("libpcap returned a packet without data") }
            let record = header.pointee
            let bytes = Span(_unsafeStart: data, count: Int(record.caplen))
            // With PCAP_TSTAMP_PRECISION_NANO the microseconds field holds nanoseconds.
            try body(Int64(record.ts.tv_sec), Int64(record.ts.tv_usec), Int(record.caplen), Int(record.len), bytes)
            return .packet
        case PCAP_ERROR_BREAK:
            return .endOfFile
        default:
            return .failed(String(cString: pcap_geterr(pcap)))
        }
    }
}
