import AirlockCapture
import AirlockEvents
import AirlockPackets
import Testing

/// What each public capture must decode to. DNS counts are tshark's (`tshark -r F -Y dns`, one DNS
/// message per frame in all of these files; `-Y "dns && tcp"` for TCP); flow starts are the TCP
/// connections that carried a client payload (`-Y tls.handshake.type==1` gives the same numbers here).
struct Expected {
    var udpDNS = 0
    var tcpDNS = 0
    var tcpFlowStarts = 0
    var reassembled = 0
}

let expectedDecoding: [String: Expected] = [
    "edge/ndpi_avast_securedns.pcapng": Expected(udpDNS: 77),  // plain DNS on UDP 443
    "edge/ndpi_bt-dns.pcap": Expected(udpDNS: 2),
    "edge/ndpi_dns-google-nsid.pcapng": Expected(udpDNS: 14),
    "edge/ndpi_dns-invalid-chars.pcap": Expected(udpDNS: 2),
    "edge/ndpi_dns.pcap": Expected(udpDNS: 5),
    "edge/ndpi_dns_ambiguous_names.pcap": Expected(udpDNS: 20),
    "edge/ndpi_dns_doh.pcap": Expected(tcpFlowStarts: 1),
    "edge/ndpi_dns_dot.pcap": Expected(tcpFlowStarts: 1),
    "edge/ndpi_dns_fragmented.pcap": Expected(udpDNS: 39, tcpDNS: 4, reassembled: 7),
    "edge/ndpi_dns_invert_query.pcapng": Expected(udpDNS: 2),
    "edge/ndpi_dnscrypt-v2-doh.pcap": Expected(tcpFlowStarts: 34),
    "edge/ndpi_doh.pcapng": Expected(tcpFlowStarts: 1),
    "edge/ndpi_googledns_android10.pcap": Expected(tcpFlowStarts: 5),
    "edge/ndpi_malformed_dns.pcap": Expected(udpDNS: 6),
    "edge/ndpi_mullvad_dns.pcap": Expected(udpDNS: 2),
    "edge/ndpi_netbios_wildcard_dns_query.pcap": Expected(udpDNS: 1),
    "edge/oarc_dnsjit_46vs45.pcap": Expected(udpDNS: 1),
    "edge/oarc_dnsjit_dns.pcap": Expected(udpDNS: 82),
    "edge/oarc_dnsjit_ip6-tcp-padd.pcap": Expected(tcpDNS: 2),
    "edge/oarc_dnsjit_ip6-udp-padd.pcap": Expected(udpDNS: 1),
    "edge/oarc_dnsjit_pellets.pcap": Expected(udpDNS: 91),
    "edge/oarc_dnsjit_sll2.pcap": Expected(udpDNS: 2),
    "edge/oarc_dnsjit_tcp-response-with-trailing-junk.pcap": Expected(udpDNS: 18, tcpDNS: 2),
    "edge/oarc_dsc_1458044657.pcap": Expected(udpDNS: 8),
    "edge/oarc_dsc_dns6.pcap": Expected(udpDNS: 2),
    "edge/oarc_dsc_dnso1tcp.pcap": Expected(tcpDNS: 82),
    "edge/oarc_dsc_edns.pcap": Expected(udpDNS: 14),
    "edge/oarc_dsc_pid.pcap": Expected(udpDNS: 4),
    "edge/oarc_dsc_test_285.pcap": Expected(udpDNS: 4),
    "tunnel/ndpi_dns-exf.pcap": Expected(udpDNS: 2),
    "tunnel/ndpi_dns-tunnel-iodine.pcap": Expected(udpDNS: 434),
    "tunnel/ndpi_dns2tcp_tunnel.pcap": Expected(tcpFlowStarts: 1),
    "tunnel/ndpi_dns_exfiltration.pcap": Expected(udpDNS: 300),
    "tunnel/ndpi_dns_long_domainname.pcap": Expected(udpDNS: 2),
]

func identifier(_ message: RecordingSink.Message) -> Int { Int(message.bytes[0]) << 8 | Int(message.bytes[1]) }

@Suite("Replaying the public captures")
struct CaptureReplayTests {
    @Test(.enabled(if: Captures.available))
    func everyCaptureDecodesToTheVerifiedCounts() throws {
        #expect(Set(Captures.all) == Set(expectedDecoding.keys))
        for file in Captures.all {
            let replay = try Replay(Captures.path(file))
            let expected = expectedDecoding[file] ?? Expected()
            let statistics = replay.statistics
            #expect(replay.outcome == .complete, "\(file)")
            #expect(replay.sink.udpMessages.count == expected.udpDNS, "\(file)")
            #expect(replay.sink.tcpMessages.count == expected.tcpDNS, "\(file)")
            #expect(statistics.udpDNSMessages == expected.udpDNS, "\(file)")
            #expect(statistics.tcpDNSMessages == expected.tcpDNS, "\(file)")
            #expect(replay.sink.flowStarts.count == expected.tcpFlowStarts, "\(file)")
            #expect(statistics.datagramsReassembled == expected.reassembled, "\(file)")
            // None of these public captures is damaged at the packet level.
            #expect(statistics.malformed.isEmpty, "\(file): \(statistics.malformed)")
            #expect(replay.sink.malformed.isEmpty, "\(file)")
            #expect(statistics.packets == replay.packets)
            #expect(statistics.packetsByLinkType == [replay.linkType: replay.packets])
            #expect(statistics.bufferedBytes == 0, "\(file): buffers released at the end")
            // Every DNS message is at least a header.
            #expect(replay.sink.messages.allSatisfy { $0.bytes.count >= 12 }, "\(file)")
        }
    }

    @Test(.enabled(if: Captures.available))
    func fragmentedResponsesAreReassembledWithTheRightSizes() throws {
        let replay = try Replay(Captures.path("edge/ndpi_dns_fragmented.pcap"))
        // tshark -Y dns -T fields -e dns.id -e udp.length -e dns.length (UDP payload = udp.length - 8).
        let expected: [(Int, Int)] = [
            (0xd43f, 40), (0xd43f, 1702), (0xe9c4, 58), (0xe9c4, 1501), (0x0a32, 59), (0x0a32, 1490),
            (0xa17d, 59), (0xa17d, 1490), (0xa438, 59), (0xa438, 824), (0x15a8, 40), (0x15a8, 1702),
            (0x9e06, 59), (0x9e06, 824), (0xb9c8, 61), (0xb9c8, 238), (0xbda9, 61), (0xbda9, 238),
            (0xdd84, 61), (0xdd84, 238), (0xea02, 61), (0xea02, 238), (0x91df, 67), (0x91df, 71),
            (0xfac7, 69), (0xfac7, 46), (0x06e4, 51), (0x06e4, 55), (0x8cec, 50), (0x8cec, 94),
            (0xc2a0, 52), (0xc2a0, 52), (0xc2a0, 1730), (0x89ce, 52), (0x89ce, 1730), (0x3f7f, 44),
            (0x3f7f, 72), (0x80e4, 52), (0x80e4, 1730), (0xe8df, 44), (0xe8df, 60), (0x06da, 52), (0x06da, 1730),
        ]
        let got = replay.sink.messages.map { (identifier($0), $0.bytes.count) }
        #expect(got.count == expected.count)
        for (index, pair) in zip(got, expected).enumerated() {
            #expect(pair.0 == pair.1, "message \(index)")
        }
        let statistics = replay.statistics
        #expect(statistics.fragments == 14)
        #expect(statistics.datagramsReassembled == 7)
        #expect(statistics.ipv6Packets == 44)
        // The reassembled responses keep their endpoints: 4 over IPv4, 3 over IPv6, all from port 53.
        let large = replay.sink.messages.filter { $0.context.transport == .udp && $0.bytes.count > 1400 }
        #expect(large.count == 7)
        #expect(large.filter { $0.context.source.address.isIPv4 }.count == 4)
        #expect(large.allSatisfy { $0.context.source.port == 53 })
        // The TCP pair is decoded too (DNSKEY over TCP after the truncated UDP answers).
        #expect(replay.sink.tcpMessages.map { identifier($0) } == [0x80e4, 0x80e4, 0x06da, 0x06da])
    }

    @Test(.enabled(if: Captures.available))
    func dnsOverOneTCPConnectionWithSeparateLengthSegments() throws {
        // The client writes each length prefix in its own 2-byte segment; the server writes both at once.
        let replay = try Replay(Captures.path("edge/oarc_dsc_dnso1tcp.pcap"))
        let messages = replay.sink.tcpMessages
        #expect(messages.count == 82)
        #expect(identifier(messages[0]) == 0xe7af)
        #expect(identifier(messages[81]) == 0x4524)
        for pair in stride(from: 0, to: messages.count, by: 2) {
            let query = messages[pair], response = messages[pair + 1]
            #expect(identifier(query) == identifier(response))
            #expect(query.context.destination.port == 53 && response.context.source.port == 53)
            #expect([28, 45].contains(query.bytes.count))
            #expect([44, 143].contains(response.bytes.count))
        }
        #expect(replay.statistics.tcpDNSFlows == 1)
        #expect(replay.statistics.tcpBytesSkipped == 0)
    }

    @Test(.enabled(if: Captures.available))
    func linuxCookedV2AndRawIPv6WithPadding() throws {
        let sll2 = try Replay(Captures.path("edge/oarc_dnsjit_sll2.pcap"))
        #expect(sll2.linkType == 276)
        #expect(sll2.sink.messages.count == 2)
        #expect(sll2.sink.messages.map { identifier($0) } == [0x5139, 0x5139])

        // 46 bytes captured, IPv4 total length 45: the trailing byte is link padding, not DNS.
        let padded = try Replay(Captures.path("edge/oarc_dnsjit_46vs45.pcap"))
        #expect(padded.sink.messages.map(\.bytes.count) == [17])

        let udp6 = try Replay(Captures.path("edge/oarc_dnsjit_ip6-udp-padd.pcap"))
        #expect(udp6.sink.messages.count == 1)
        #expect(udp6.sink.messages[0].context.destination.address == IPAddress("::1"))
        #expect(udp6.sink.messages[0].bytes.count == 17)

        let tcp6 = try Replay(Captures.path("edge/oarc_dnsjit_ip6-tcp-padd.pcap"))
        #expect(tcp6.sink.tcpMessages.map(\.bytes.count) == [40, 1125])
    }

    @Test(.enabled(if: Captures.available))
    func tcpResponseWithTrailingJunkInsideTheMessage() throws {
        // The junk sits inside the 731 bytes the length prefix announces, so framing is intact: the DNS
        // parser, not the stream, has to notice it.
        let replay = try Replay(Captures.path("edge/oarc_dnsjit_tcp-response-with-trailing-junk.pcap"))
        #expect(replay.sink.tcpMessages.map(\.bytes.count) == [42, 731])
        #expect(replay.sink.tcpMessages.map { identifier($0) } == [0x1c23, 0x1c23])
    }

    @Test(.enabled(if: Captures.available))
    func firstClientPayloadsCarryTheClientHello() throws {
        // dns2tcp inside DoH to 1.1.1.1:443. Its ClientHello has no server_name extension (tshark shows
        // none: the client connected by address), so the pipeline sees the bypass by destination.
        let tunnel = try Replay(Captures.path("tunnel/ndpi_dns2tcp_tunnel.pcap"))
        #expect(tunnel.sink.flowStarts.count == 1)
        let start = tunnel.sink.flowStarts[0]
        #expect(start.context.source == Endpoint(address: IPAddress("192.168.20.211")!, port: 44404))
        #expect(start.context.destination == Endpoint(address: IPAddress("1.1.1.1")!, port: 443))
        #expect(start.context.transport == .tcp)
        #expect(start.bytes.count == 261)  // tcp.len of the ClientHello frame: one whole TLS record
        #expect(Array(start.bytes[0..<1]) == [0x16] && start.bytes[5] == 1)

        let doh = try Replay(Captures.path("edge/ndpi_dns_doh.pcap"))
        #expect(doh.sink.flowStarts.count == 1)
        #expect(doh.sink.flowStarts[0].bytes.contains(subsequence: Array("mozilla.cloudflare-dns.com".utf8)))

        let dot = try Replay(Captures.path("edge/ndpi_googledns_android10.pcap"))
        #expect(dot.sink.flowStarts.count == 5)
        #expect(dot.sink.flowStarts.allSatisfy { $0.context.destination.port == 853 })
        #expect(dot.sink.flowStarts.allSatisfy { $0.bytes.contains(subsequence: Array("dns.google".utf8)) })

        // No SYNs in this capture: clients are told from servers by port, and each ClientHello arrives.
        let midstream = try Replay(Captures.path("edge/ndpi_dnscrypt-v2-doh.pcap"))
        #expect(midstream.statistics.tcpMidstreamFlows == 34)
        #expect(midstream.sink.flowStarts.count == 34)
        #expect(midstream.sink.flowStarts.allSatisfy { $0.bytes.first == 0x16 && $0.bytes[5] == 1 })
        #expect(midstream.sink.flowStarts.filter { $0.bytes.contains(subsequence: Array("dns10.quad9.net".utf8)) }.count == 2)
        #expect(Set(midstream.sink.flowStarts.map(\.context.destination.port)) == [443, 453, 8443])
    }

    @Test(.enabled(if: Captures.available))
    func plainDNSOnPort443IsDeliveredOrReportedAsAFlow() throws {
        let recognised = try Replay(Captures.path("edge/ndpi_avast_securedns.pcapng"))
        #expect(recognised.statistics.dnsMessagesOnWatchedPorts == 77)
        #expect(recognised.sink.messages.allSatisfy { $0.context.source.port == 443 || $0.context.destination.port == 443 })

        var configuration = PacketDecoderConfiguration()
        configuration.recognizeDNSOnWatchedUDPPorts = false
        let reported = try Replay(Captures.path("edge/ndpi_avast_securedns.pcapng"), configuration: configuration)
        #expect(reported.sink.messages.isEmpty)
        // tshark: 39 distinct client 5-tuples to UDP 443.
        #expect(reported.sink.flowStarts.count == 39)
        #expect(reported.statistics.udpFlowStarts == 39)
        #expect(reported.sink.flowStarts.allSatisfy { $0.context.destination.port == 443 && $0.context.transport == .udp })
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
