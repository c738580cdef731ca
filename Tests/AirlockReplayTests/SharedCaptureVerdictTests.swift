import AirlockEngine
import AirlockEvents
import AirlockReplay
import Foundation
import Testing

/// The public captures nobody on this project wrote, with the verdicts their README expects.
@Suite(.enabled(if: CaptureFiles.sharedAvailable, "../shared/captures is not beside the repository"))
struct SharedCaptureVerdictTests {
    func replay(_ relative: String) -> ReplaySummary {
        Replayer(options: ReplayOptions(files: [CaptureFiles.sharedPath(relative)])).run()
    }

    @Test func iodineIsATunnelOnPirateSea() throws {
        let s = replay("tunnel/ndpi_dns-tunnel-iodine.pcap")
        let f = try #require(s.flagged.first)
        #expect(s.flagged.count == 1)
        #expect(f.domain.value == "pirate.sea")
        #expect(f.verdict == .tunnel)
        #expect(f.queriesBeforeAlert <= 10)
        #expect(f.queries == 222)
        // A data signal: its odd names (the handshake's, or the tunnel's suspicious names).
        #expect(f.reasons.contains("suspicious_names") || f.reasons.contains("first_contact_odd_names"))
        #expect(s.queries == 222)
        #expect(s.malformed == 0)
    }

    @Test func dnscatSentStraightToItsServerIsGroupedByThatServer() throws {
        let s = replay("tunnel/ndpi_dns_exfiltration.pcap")
        let f = try #require(s.flagged.first)
        #expect(s.flagged.count == 1)
        #expect(f.domain == DomainKey(value: "192.168.203.167", kind: .serverAddress, labelCount: 0))
        #expect(f.verdict == .tunnel)
        #expect(f.queriesBeforeAlert <= 10)
        #expect(f.queries == 150)
    }

    @Test func oneBase64ExfiltrationQueryIsASuspiciousName() throws {
        let s = replay("tunnel/ndpi_dns-exf.pcap")
        let f = try #require(s.flagged.first)
        #expect(f.verdict == .suspiciousName)
        #expect(f.domain.value == "test.txt")
        #expect(f.reasons.contains("non_hostname_bytes"))
        // Its response puts an OPT record in the answer section (RFC 6891 §6.1.1): counted, not paired.
        #expect(s.malformedByReason["dns_opt_outside_additional"] == 1)
    }

    @Test func theLongTunnelLikeNameCountsAsSuspiciousWithoutAnAlert() throws {
        let s = replay("tunnel/ndpi_dns_long_domainname.pcap")
        #expect(s.flagged.isEmpty)
        let n = try #require(s.suspiciousNames.first)
        #expect(n.domain.value == "example.com")
        #expect(n.score >= DetectionConfiguration.default.suspiciousNameScore)
    }

    @Test func dns2tcpInsideDoHIsSeenAsAResolverBypass() throws {
        let s = replay("tunnel/ndpi_dns2tcp_tunnel.pcap")
        let b = try #require(s.bypasses.first)
        #expect(b.kind == "dns-over-https")
        #expect(b.destination.description == "1.1.1.1:443")
        #expect(s.dnsMessages == 0)
    }

    @Test(arguments: CaptureFiles.sharedFiles("edge"))
    func edgeCapturesFlagNothing(_ path: String) {
        let s = Replayer(options: ReplayOptions(files: [path])).run()
        #expect(s.failures.isEmpty)
        #expect(s.truncations.isEmpty)
        #expect(s.flagged.isEmpty, "\(path): \(s.flagged.map(\.explanation))")
    }

    @Test func caseRandomisedNamesAreOrdinary() {
        let s = replay("edge/ndpi_avast_securedns.pcapng")
        #expect(s.queries > 30)
        #expect(s.suspiciousNames.isEmpty)
    }

    @Test func resolverBypassesInTheDoHAndDoTCaptures() {
        #expect(replay("edge/ndpi_dns_doh.pcap").bypasses.map(\.kind) == ["dns-over-https"])
        #expect(replay("edge/ndpi_dns_dot.pcap").bypasses.map(\.kind) == ["dns-over-tls"])
        #expect(replay("edge/ndpi_doh.pcapng").bypasses.map(\.kind) == ["dns-over-https"])
        #expect(replay("edge/ndpi_dnscrypt-v2-doh.pcap").bypasses.count >= 20)
    }

    @Test func malformedMessagesAreCountedByReason() {
        let s = replay("edge/ndpi_malformed_dns.pcap")
        #expect(s.malformedByReason == ["dns_name_too_long": 4])
        #expect(s.dnsMessages == 6)
    }

    @Test func aTruncatedCaptureReportsWhereItStoppedAndKeepsItsFindings() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CaptureFiles.sharedPath("tunnel/ndpi_dns-tunnel-iodine.pcap"))))
        let scratch = try CaptureFiles.Scratch()
        let path = try scratch.write("cut.pcap", Array(original[..<(original.count * 2 / 3 | 1)]))
        let s = Replayer(options: ReplayOptions(files: [path])).run()
        let t = try #require(s.truncations.first)
        #expect(t.packet > 100 && t.packet < 438)
        #expect(t.byteOffset != nil && t.byteOffset! < Int64(original.count))
        #expect(t.reason.contains("truncated"))
        #expect(s.flagged.first?.domain.value == "pirate.sea")
    }

    @Test func aBPFFilterSelectsPackets() {
        var options = ReplayOptions(files: [CaptureFiles.sharedPath("tunnel/ndpi_dns-tunnel-iodine.pcap")])
        options.filter = "udp dst port 53"
        let s = Replayer(options: options).run()
        #expect(s.queries == 222)
        #expect(s.responses == 0)
        options.filter = "this is not bpf"
        let bad = Replayer(options: options).run()
        #expect(bad.failures.count == 1)
        #expect(bad.failures.first?.message.contains("this is not bpf") == true)
    }

    @Test func aFileThatIsNotACaptureIsAnErrorNamingIt() throws {
        let scratch = try CaptureFiles.Scratch()
        let path = try scratch.write("junk.pcap", Array("not a capture at all".utf8))
        let s = Replayer(options: ReplayOptions(files: [path, CaptureFiles.sharedPath("tunnel/ndpi_dns-exf.pcap")])).run()
        #expect(s.failures.count == 1)
        #expect(s.failures.first?.message.contains(path) == true)
        #expect(s.files == 2)
        #expect(s.flagged.count == 1)
    }
}

@Suite(.enabled(if: CaptureFiles.sharedAvailable, "../shared/captures is not beside the repository"))
struct ParserChoiceTests {
    /// libldns and the fast reader must lead to the same verdicts on every tunnel capture.
    @Test(arguments: CaptureFiles.sharedFiles("tunnel"))
    func ldnsAndTheFastReaderGiveTheSameVerdicts(_ path: String) {
        var options = ReplayOptions(files: [path])
        let fast = Replayer(options: options).run()
        options.parser = .ldns
        let ldns = Replayer(options: options).run()
        #expect(fast.queries == ldns.queries || path.hasSuffix("ndpi_dns-exf.pcap"))
        #expect(fast.flagged.map(\.domain) == ldns.flagged.map(\.domain))
        #expect(fast.flagged.map(\.queriesBeforeAlert) == ldns.flagged.map(\.queriesBeforeAlert))
        #expect(fast.flagged.map(\.verdict) == ldns.flagged.map(\.verdict))
    }
}
