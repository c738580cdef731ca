import AirlockEvents
import CPcap

#if canImport(Glibc)
    import Glibc
#endif

/// Packets from a network interface through libpcap, passively (a SPAN port, a host where an inline
/// proxy is not allowed yet): the same records and spans ``PcapFileReader`` gives, so the same
/// decoder and engine read them.
///
/// Immediate mode (each packet as it arrives, not when the kernel buffer fills), non-blocking reads
/// and a `poll` of at most ``pollMilliseconds``, so ``forEachPacket(stop:_:)`` sees a stop request
/// within that time even on a silent interface. Not promiscuous unless asked: a SPAN port delivers to the host anyway.
public final class LiveCapture {
    public let interface: String
    public let linkType: Int32
    public let filter: String?
    public static let pollMilliseconds: Int32 = 100

    private let pcap: OpaquePointer
    private var delivered = 0

    /// Opens and activates `interface` (needs CAP_NET_RAW); `filter` is a BPF expression.
    public init(interface: String, filter: String? = nil, promiscuous: Bool = false) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let pcap = pcap_create(interface, &errorBuffer) else {
            throw .unreadable(path: interface, message: errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        pcap_set_snaplen(pcap, 65_535)
        pcap_set_promisc(pcap, promiscuous ? 1 : 0)
        pcap_set_immediate_mode(pcap, 1)
        pcap_set_timeout(pcap, Self.pollMilliseconds)
        pcap_set_buffer_size(pcap, 8 << 20)
        _ = pcap_set_tstamp_precision(pcap, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(pcap)
        if status < 0 {
            let message = String(cString: pcap_geterr(pcap))
            pcap_close(pcap)
            throw .unreadable(path: interface, message: message.isEmpty ? String(cString: pcap_statustostr(status)) : message)
        }
        if let filter {
            var program = bpf_program()
            guard pcap_compile(pcap, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0,
                pcap_setfilter(pcap, &program) == 0
            else {
                let message = String(cString: pcap_geterr(pcap))
                pcap_freecode(&program)
                pcap_close(pcap)
                throw .badFilter(path: interface, filter: filter, message: message)
            }
            pcap_freecode(&program)
        }
        // Non-blocking, with our own poll: with TPACKET_V3 libpcap blocks in poll() until a block of
        // packets is retired, so its read timeout never returns on a silent interface.
        if pcap_setnonblock(pcap, 1, &errorBuffer) != 0 {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            pcap_close(pcap)
            throw .unreadable(path: interface, message: message)
        }
        selectable = pcap_get_selectable_fd(pcap)
        self.pcap = pcap
        self.interface = interface
        self.filter = filter
        self.linkType = pcap_datalink(pcap)
        // Nanoseconds when the platform gave them, else microseconds (then scaled below).
        nanosecondStamps = pcap_get_tstamp_precision(pcap) == Int32(PCAP_TSTAMP_PRECISION_NANO)
    }

    private let nanosecondStamps: Bool
    /// The descriptor to poll for packets (-1 when libpcap has none: then it is polled every interval).
    private let selectable: Int32

    deinit { pcap_close(pcap) }

    /// Packets the kernel dropped because the reader fell behind, and those libpcap received.
    public var statistics: (received: Int, dropped: Int)? {
        var stats = pcap_stat()
        guard pcap_stats(pcap, &stats) == 0 else { return nil }
        return (Int(stats.ps_recv), Int(stats.ps_drop) + Int(stats.ps_ifdrop))
    }

    /// Calls `body` with each packet until `stop()` returns true (checked at least every
    /// ``pollMilliseconds``) or the interface fails (then the outcome says why).
    public func forEachPacket(stop: () -> Bool, _ body: (PacketRecord, Span<UInt8>) -> Void) -> ReadOutcome {
        while !stop() {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(pcap, &header, &data)
            switch status {
            case 1:
                guard let header, let data else { continue }
                let h = header.pointee
                let fraction = nanosecondStamps ? Int64(h.ts.tv_usec) : Int64(h.ts.tv_usec) * 1000
                let record = PacketRecord(
                    index: delivered, time: Timestamp(nanoseconds: Int64(h.ts.tv_sec) * 1_000_000_000 + fraction),
                    capturedLength: Int(h.caplen), originalLength: Int(h.len))
                delivered += 1
                body(record, Span(_unsafeStart: data, count: Int(h.caplen)))
            case 0:
                // Nothing buffered: wait for the socket, at most one poll interval, then check `stop`.
                if selectable >= 0 {
                    var entry = pollfd(fd: selectable, events: Int16(POLLIN), revents: 0)
                    _ = poll(&entry, 1, Self.pollMilliseconds)
                } else {
                    usleep(UInt32(Self.pollMilliseconds) * 1000)
                }
            default:
                return .stopped(atPacket: delivered, byteOffset: nil, reason: String(cString: pcap_geterr(pcap)))
            }
        }
        return .complete
    }
}
