/// Why a packet, or part of a stream, was skipped. The raw values are stable snake_case names for
/// reports and metrics: add cases, never rename them.
public enum MalformedReason: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    // Link layer.
    /// Shorter than the link-layer header its link type promises.
    case truncatedLinkHeader = "truncated_link_header"
    /// A link type this decoder does not read.
    case unsupportedLinkType = "unsupported_link_type"
    /// More stacked 802.1Q/802.1ad tags (or MPLS labels) than any real network uses.
    case tooManyLinkTags = "too_many_link_tags"

    // IP.
    /// The version nibble does not match what the link layer announced (or is neither 4 nor 6 on raw IP).
    case badIPVersion = "bad_ip_version"
    case truncatedIPv4Header = "truncated_ipv4_header"
    /// Header length below 20 bytes, or a total length smaller than the header.
    case badIPv4HeaderLength = "bad_ipv4_header_length"
    /// The total length claims more bytes than were captured.
    case truncatedIPv4Payload = "truncated_ipv4_payload"
    case truncatedIPv6Header = "truncated_ipv6_header"
    /// The payload length claims more bytes than were captured.
    case truncatedIPv6Payload = "truncated_ipv6_payload"
    /// An extension header runs past the end of the packet.
    case truncatedIPv6ExtensionHeader = "truncated_ipv6_extension_header"
    /// More extension headers than ``PacketDecoderConfiguration/maxIPv6ExtensionHeaders``.
    case ipv6ExtensionChainTooLong = "ipv6_extension_chain_too_long"

    // Fragments.
    /// A fragment overlaps data already received with different bytes, or contradicts the datagram's
    /// end: the whole datagram is dropped (overlaps are an evasion technique, RFC 5722).
    case fragmentOverlap = "fragment_overlap"
    /// A datagram's fragments did not all arrive within ``PacketDecoderConfiguration/fragmentTimeout``.
    case fragmentTimeout = "fragment_timeout"
    /// A partial datagram was evicted to make room in the reassembly table.
    case fragmentTableFull = "fragment_table_full"
    /// Fragments reach beyond 65,535 bytes.
    case fragmentTooLarge = "fragment_too_large"
    /// A non-final fragment whose length is not a multiple of 8.
    case fragmentMisaligned = "fragment_misaligned"
    /// The capture ended while a datagram was still missing fragments.
    case fragmentIncomplete = "fragment_incomplete"

    // UDP.
    /// Fewer than 8 bytes for the UDP header.
    case truncatedUDP = "truncated_udp"
    /// The UDP length field is below 8 or beyond the IP payload.
    case udpLengthMismatch = "udp_length_mismatch"

    // TCP.
    case truncatedTCPHeader = "truncated_tcp_header"
    /// Data offset below 5 words.
    case badTCPHeaderLength = "bad_tcp_header_length"
    /// Bytes of a stream were never captured: the partial message is dropped and the stream resynchronises
    /// on the next segment that starts a plausible DNS message.
    case tcpGap = "tcp_gap"
    /// Too many segments waited for a missing one; the missing bytes are given up (a gap).
    case tcpOutOfOrderOverflow = "tcp_out_of_order_overflow"
    /// A DNS length prefix below the 12-byte header size.
    case tcpBadDNSLength = "tcp_bad_dns_length"
    /// The bytes after a length prefix are not a DNS header (impossible opcode or counts): junk in the
    /// stream, which is skipped until a plausible message starts a segment.
    case tcpImplausibleDNSHeader = "tcp_implausible_dns_header"
    /// A connection closed, idled out or the capture ended with part of a DNS message buffered.
    case tcpIncompleteMessage = "tcp_incomplete_message"
    /// A tracked TCP connection was evicted to make room for a new one.
    case tcpFlowTableFull = "tcp_flow_table_full"
    /// A watched UDP 5-tuple was forgotten to make room; its next datagram counts as a new flow start.
    case udpFlowTableFull = "udp_flow_table_full"
    /// Buffered stream and fragment bytes reached ``PacketDecoderConfiguration/maxBufferedBytes``.
    case bufferBudgetExceeded = "buffer_budget_exceeded"

    public var description: String { rawValue }
}
