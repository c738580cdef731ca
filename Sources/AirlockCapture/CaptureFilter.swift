import CPcap

/// Checking a BPF filter expression before any file is opened, so a typo is one error, not one per file.
public enum CaptureFilter {
    /// libpcap's message when `expression` does not compile (against Ethernet framing, which every
    /// tcpdump expression accepts), nil when it does.
    public static func check(_ expression: String) -> String? {
        guard let pcap = pcap_open_dead(DLT_EN10MB, 65_535) else { return "libpcap could not start" }
        defer { pcap_close(pcap) }
        var program = bpf_program()
        guard pcap_compile(pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            return String(cString: pcap_geterr(pcap))
        }
        pcap_freecode(&program)
        return nil
    }
}
