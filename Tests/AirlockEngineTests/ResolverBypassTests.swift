import AirlockEvents
import Testing

@testable import AirlockEngine

private func endpoint(_ address: String, _ port: UInt16) -> Endpoint {
    Endpoint(address: IPAddress(address)!, port: port)
}

/// Each classification rule, the list's matching semantics, and the real captures' flows.
@Suite struct ResolverBypassTests {
    let classifier = ResolverBypassClassifier()

    // MARK: Rules

    @Test func tcp853IsDoTWhateverTheAddress() throws {
        let unknown = try #require(
            classifier.classify(destination: endpoint("198.18.7.7", 853), transport: .tcp, sni: nil, alpn: []))
        #expect(unknown.kind == .dnsOverTLS)
        #expect(unknown.evidence == [.dnsPort(853, .tcp)])
        #expect(unknown.provider == nil)

        let google = try #require(
            classifier.classify(destination: endpoint("8.8.8.8", 853), transport: .tcp, sni: nil, alpn: []))
        #expect(google.kind == .dnsOverTLS && google.provider == "Google Public DNS")
        #expect(
            google.reason == "DNS-over-TLS to 8.8.8.8:853 over tcp: port tcp/853; address 8.8.8.8 is Google Public DNS")
    }

    @Test func alpnDotIsDoTOnAnyPort() throws {
        for id in ["dot", "DoT"] {
            let r = try #require(
                classifier.classify(
                    destination: endpoint("198.18.7.7", 443), transport: .tcp, sni: "x.example", alpn: ["h2", id]))
            #expect(r.kind == .dnsOverTLS && r.evidence == [.alpn(id)])
        }
    }

    @Test func udp853AndAlpnDoqAreDoQ() throws {
        let port = try #require(
            classifier.classify(destination: endpoint("198.18.7.7", 853), transport: .udp, sni: nil, alpn: []))
        #expect(port.kind == .dnsOverQUIC && port.evidence == [.dnsPort(853, .udp)])
        let alpn = try #require(
            classifier.classify(
                destination: endpoint("94.140.14.14", 8853), transport: .udp, sni: "dns.adguard-dns.com", alpn: ["doq"])
        )
        #expect(alpn.kind == .dnsOverQUIC)
        #expect(alpn.evidence.first == .alpn("doq"))
        #expect(alpn.evidence.contains(.resolverAddress(IPAddress("94.140.14.14")!, provider: "AdGuard DNS")))
    }

    @Test func knownSNIIsDoHOnAnyPortBySuffix() throws {
        let cases: [(String, String, String)] = [
            ("mozilla.cloudflare-dns.com", "*.cloudflare-dns.com", "Cloudflare"),
            ("chrome.cloudflare-dns.com", "*.cloudflare-dns.com", "Cloudflare"),
            ("cloudflare-dns.com", "*.cloudflare-dns.com", "Cloudflare"),
            ("abc123.dns.nextdns.io", "*.dns.nextdns.io", "NextDNS"),
            ("DNS.Google.", "*.dns.google", "Google Public DNS"),
            ("dns64.dns.google", "*.dns.google", "Google Public DNS"),
            ("adblock.doh.mullvad.net", "*.doh.mullvad.net", "Mullvad DNS"),
            ("dns.quad9.net", "dns.quad9.net", "Quad9"),
            ("doh.opendns.com", "doh.opendns.com", "OpenDNS"),
            ("sm2.doh.pub", "*.doh.pub", "DNSPod"),
        ]
        for (sni, entry, provider) in cases {
            let r = try #require(
                classifier.classify(destination: endpoint("198.18.9.9", 8443), transport: .tcp, sni: sni, alpn: ["h2"]),
                "\(sni)")
            #expect(r.kind == .dnsOverHTTPS)
            #expect(r.provider == provider)
            #expect(
                r.evidence == [
                    .resolverHostName(sni: KnownResolverEndpoints.normalise(sni), entry: entry, provider: provider)
                ])
        }
    }

    @Test func sniMatchingRespectsLabelBoundaries() {
        for sni in [
            "notdns.google", "evil-cloudflare-dns.com", "cloudflare-dns.com.evil.example", "nextdns.io",
            "my.nextdns.io",
            "www.quad9.net", "x.dns.quad9.net", "google.com", "", ".",
        ] {
            #expect(
                classifier.classify(destination: endpoint("198.18.9.9", 443), transport: .tcp, sni: sni, alpn: ["h2"])
                    == nil, "\(sni)")
        }
    }

    @Test func port443ToKnownAddressIsDoHEvenWithoutSNI() throws {
        let tcp = try #require(
            classifier.classify(destination: endpoint("1.1.1.1", 443), transport: .tcp, sni: nil, alpn: ["h2"]))
        #expect(
            tcp.kind == .dnsOverHTTPS
                && tcp.evidence == [.resolverAddress(IPAddress("1.1.1.1")!, provider: "Cloudflare")])
        let http3 = try #require(
            classifier.classify(destination: endpoint("2606:4700:4700::1111", 443), transport: .udp, sni: nil, alpn: [])
        )
        #expect(http3.kind == .dnsOverHTTPS && http3.provider == "Cloudflare")
        #expect(classifier.classify(destination: endpoint("1.1.1.1", 80), transport: .tcp, sni: nil, alpn: []) == nil)
        #expect(
            classifier.classify(destination: endpoint("198.18.9.9", 443), transport: .tcp, sni: nil, alpn: ["h2"])
                == nil)
        #expect(
            classifier.classify(
                destination: endpoint("198.18.9.9", 443), transport: .tcp, sni: "www.example.com", alpn: ["h2"]) == nil)
    }

    @Test func ipv4MappedAddressesMatchTheirIPv4Entry() throws {
        let r = try #require(
            classifier.classify(destination: endpoint("::ffff:8.8.4.4", 853), transport: .tcp, sni: nil, alpn: []))
        #expect(r.provider == "Google Public DNS")
        let sanctioned = ResolverBypassClassifier(sanctionedResolvers: [IPAddress("::ffff:198.18.0.53")!])
        #expect(
            sanctioned.classify(destination: endpoint("198.18.0.53", 53), transport: .udp, sni: nil, alpn: []) == nil)
    }

    @Test func dnsCryptServersWithoutTLS() throws {
        let quad9 = try #require(
            classifier.classify(destination: endpoint("9.9.9.9", 8443), transport: .udp, sni: nil, alpn: []))
        #expect(quad9.kind == .dnsCrypt)
        #expect(quad9.evidence.first == .dnsCryptServer(endpoint("9.9.9.9", 8443), provider: "Quad9"))
        let adguard = try #require(
            classifier.classify(destination: endpoint("2a10:50c0::ad1:ff", 5443), transport: .udp, sni: nil, alpn: []))
        #expect(adguard.kind == .dnsCrypt && adguard.provider == "AdGuard DNS")
        let opendns = try #require(
            classifier.classify(destination: endpoint("208.67.220.220", 443), transport: .tcp, sni: nil, alpn: []))
        #expect(opendns.kind == .dnsCrypt)
        // The same endpoint with a TLS ClientHello is HTTPS, not DNSCrypt.
        let tls = try #require(
            classifier.classify(
                destination: endpoint("208.67.220.220", 443), transport: .tcp, sni: "x.example", alpn: ["h2"]))
        #expect(tls.kind == .dnsOverHTTPS)
        // DNSCrypt is matched on address and port together.
        #expect(classifier.classify(destination: endpoint("9.9.9.9", 5443), transport: .udp, sni: nil, alpn: []) == nil)
    }

    @Test func plainDNSToPublicResolvers() throws {
        let r = try #require(
            classifier.classify(destination: endpoint("9.9.9.9", 53), transport: .udp, sni: nil, alpn: []))
        #expect(r.kind == .plainDNSToOtherResolver)
        #expect(r.evidence == [.dnsPort(53, .udp), .resolverAddress(IPAddress("9.9.9.9")!, provider: "Quad9")])
        // Without a sanctioned set, an unlisted server on 53 is not judged.
        #expect(
            classifier.classify(destination: endpoint("198.18.0.53", 53), transport: .udp, sni: nil, alpn: []) == nil)
    }

    @Test func sanctionedResolversDefineOtherResolver() throws {
        let c = ResolverBypassClassifier(sanctionedResolvers: [IPAddress("198.18.0.53")!, IPAddress("8.8.8.8")!])
        #expect(c.classify(destination: endpoint("198.18.0.53", 53), transport: .udp, sni: nil, alpn: []) == nil)
        #expect(c.classify(destination: endpoint("8.8.8.8", 53), transport: .tcp, sni: nil, alpn: []) == nil)
        let other = try #require(
            c.classify(destination: endpoint("198.18.0.99", 53), transport: .udp, sni: nil, alpn: []))
        #expect(other.kind == .plainDNSToOtherResolver && other.evidence == [.dnsPort(53, .udp)])
        // Sanctioning a resolver for plain DNS does not sanction encrypted DNS to it (Airlock can't see inside).
        #expect(
            c.classify(destination: endpoint("8.8.8.8", 853), transport: .tcp, sni: nil, alpn: [])?.kind == .dnsOverTLS)
    }

    @Test func customListOnly() throws {
        let list = KnownResolverEndpoints(
            hostNames: [.init("Resolver.Corp.Example", includesSubdomains: true, provider: "corp")],
            addresses: [.init(IPAddress("198.18.1.1")!, provider: "corp")], dnsCryptServers: [])
        let c = ResolverBypassClassifier(endpoints: list)
        #expect(
            c.classify(
                destination: endpoint("198.18.2.2", 443), transport: .tcp, sni: "eu.resolver.corp.example", alpn: [])?
                .provider == "corp")
        #expect(
            c.classify(destination: endpoint("198.18.1.1", 443), transport: .tcp, sni: nil, alpn: [])?.kind
                == .dnsOverHTTPS)
        #expect(c.classify(destination: endpoint("1.1.1.1", 443), transport: .tcp, sni: nil, alpn: []) == nil)
        let merged = KnownResolverEndpoints.defaults.merging(list)
        #expect(merged.hostName(matching: "eu.resolver.corp.example")?.provider == "corp")
        #expect(merged.address(IPAddress("1.1.1.1")!)?.provider == "Cloudflare")
        // A later entry for the same key replaces the earlier one.
        let renamed = merged.merging(
            .init(hostNames: [], addresses: [.init(IPAddress("1.1.1.1")!, provider: "CF")], dnsCryptServers: []))
        #expect(renamed.address(IPAddress("1.1.1.1")!)?.provider == "CF")
        #expect(renamed.addresses.count == merged.addresses.count)
    }

    // MARK: DNS query events

    static func query(_ name: String, type: UInt16, to server: Endpoint, transport: Transport = .udp) -> DNSQueryEvent {
        let parsed = DNSName(name)!
        return DNSQueryEvent(
            time: Timestamp(seconds: 1_700_000_000), client: endpoint("198.18.0.2", 40000), server: server,
            transport: transport, id: 7, name: parsed, qtype: type,
            domain: DomainKey(value: parsed.suffix(labels: 2).description, kind: .registeredDomain, labelCount: 2))
    }

    @Test func dnsCryptCertificateQueries() throws {
        let r = try #require(
            classifier.classify(
                query: Self.query(
                    "2.dnscrypt-cert.opendns.com", type: DNSRecordType.txt, to: endpoint("208.67.220.220", 443))))
        #expect(r.kind == .dnsCrypt)
        #expect(
            r.evidence == [
                .dnsCryptCertificateQuery(name: "2.dnscrypt-cert.opendns.com"),
                .dnsCryptServer(endpoint("208.67.220.220", 443), provider: "OpenDNS"),
            ])
        let adguard = try #require(
            classifier.classify(
                query: Self.query(
                    "2.dnscrypt.default.ns1.adguard.com", type: DNSRecordType.txt, to: endpoint("198.18.3.3", 5443))))
        #expect(adguard.kind == .dnsCrypt && adguard.evidence.count == 1)

        #expect(ResolverBypassClassifier.isDNSCryptCertificateName(DNSName("2.DNSCRYPT-CERT.example.org")!))
        for name in [
            "x.2.dnscrypt-cert.example", "3.dnscrypt-cert.example", "2.dnscryp.example", "2.dnscrypt", "2", ".",
        ] {
            #expect(!ResolverBypassClassifier.isDNSCryptCertificateName(DNSName(name)!), "\(name)")
        }
        // Same name, other type, not on port 53: nothing.
        #expect(
            classifier.classify(
                query: Self.query(
                    "2.dnscrypt-cert.opendns.com", type: DNSRecordType.a, to: endpoint("208.67.220.220", 443))) == nil)
    }

    @Test func plainQueryEvents() throws {
        let r = try #require(
            classifier.classify(
                query: Self.query("www.mullvad.net", type: DNSRecordType.a, to: endpoint("9.9.9.9", 53))))
        #expect(r.kind == .plainDNSToOtherResolver && r.provider == "Quad9")
        #expect(
            classifier.classify(
                query: Self.query("www.example.com", type: DNSRecordType.a, to: endpoint("198.18.0.53", 53))) == nil)
    }

    // MARK: The default list

    @Test func defaultTablesParseCompletely() {
        let d = KnownResolverEndpoints.defaults
        #expect(d.hostNames.count == KnownResolverEndpoints.defaultHostTable.reduce(0) { $0 + $1.hosts.count })
        #expect(d.addresses.count == KnownResolverEndpoints.defaultAddressTable.reduce(0) { $0 + $1.addresses.count })
        #expect(
            d.dnsCryptServers.count == KnownResolverEndpoints.defaultDNSCryptTable.reduce(0) { $0 + $1.endpoints.count }
        )
        #expect(d.hostNames.count >= 70 && d.addresses.count >= 100 && d.dnsCryptServers.count >= 15)
        for entry in d.hostNames {
            #expect(entry.name == entry.name.lowercased() && !entry.name.hasPrefix("*") && !entry.name.hasSuffix("."))
        }
    }

    @Test func defaultsHoldTheWellKnownEndpoints() {
        let d = KnownResolverEndpoints.defaults
        for host in [
            "dns.google", "cloudflare-dns.com", "one.one.one.one", "mozilla.cloudflare-dns.com",
            "chrome.cloudflare-dns.com",
            "dns.quad9.net", "doh.opendns.com", "dns.adguard-dns.com", "dns.nextdns.io", "doh.mullvad.net",
            "dns.mullvad.net",
            "doh.cleanbrowsing.org", "dns.alidns.com", "doh.pub", "dot.pub",
        ] {
            #expect(d.hostName(matching: host) != nil, "\(host)")
        }
        for address in [
            "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112", "208.67.222.222",
            "208.67.220.220",
            "94.140.14.14", "194.242.2.2", "2606:4700:4700::1111", "2001:4860:4860::8888", "2620:fe::fe",
        ] {
            #expect(d.address(IPAddress(address)!) != nil, "\(address)")
        }
        #expect(KnownResolverEndpoints.parseEndpoint("[2620:0:ccc::2]:443") == endpoint("2620:0:ccc::2", 443))
        #expect(KnownResolverEndpoints.parseEndpoint("1.2.3.4") == nil)
    }

    @Test func kindIdsAreStable() {
        #expect(
            ResolverBypassKind.allCases.map(\.rawValue) == [
                "dns-over-https", "dns-over-tls", "dns-over-quic", "dnscrypt", "plain-dns-to-other-resolver",
            ])
    }

    // MARK: Real captures

    /// ClientHello flows in the public captures, as tshark reports them:
    /// `tshark -r ../shared/captures/<file> -Y tls.handshake.type==1 -T fields -e ip.dst -e tcp.dstport
    ///  -e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str` (one row per flow), and
    /// `-Y dns -e ip.dst -e udp.dstport` for the plain-DNS one.
    static let captureFlows:
        [(
            capture: String, destination: String, port: UInt16, transport: Transport, sni: String?, alpn: [String],
            kind: ResolverBypassKind, provider: String?
        )] = [
            (
                "edge/ndpi_dns_doh.pcap", "104.16.248.249", 443, .tcp, "mozilla.cloudflare-dns.com",
                ["h2", "http/1.1"], .dnsOverHTTPS, "Cloudflare"
            ),
            ("edge/ndpi_doh.pcapng", "1.1.1.1", 443, .tcp, nil, ["h2", "http/1.1"], .dnsOverHTTPS, "Cloudflare"),
            (
                "tunnel/ndpi_dns2tcp_tunnel.pcap", "1.1.1.1", 443, .tcp, nil, ["h2", "http/1.1"], .dnsOverHTTPS,
                "Cloudflare"
            ),
            ("edge/ndpi_dns_dot.pcap", "8.8.8.8", 853, .tcp, nil, [], .dnsOverTLS, "Google Public DNS"),
            (
                "edge/ndpi_googledns_android10.pcap", "8.8.4.4", 853, .tcp, "dns.google", [], .dnsOverTLS,
                "Google Public DNS"
            ),
            (
                "edge/ndpi_googledns_android10.pcap", "8.8.8.8", 853, .tcp, "dns.google", [], .dnsOverTLS,
                "Google Public DNS"
            ),
            ("edge/ndpi_mullvad_dns.pcap", "9.9.9.9", 53, .udp, nil, [], .plainDNSToOtherResolver, "Quad9"),
        ]

    @Test func captureFlowsClassifyAsExpected() throws {
        for flow in Self.captureFlows {
            let r = try #require(
                classifier.classify(
                    destination: endpoint(flow.destination, flow.port), transport: flow.transport, sni: flow.sni,
                    alpn: flow.alpn),
                "\(flow.capture)")
            #expect(r.kind == flow.kind, "\(flow.capture)")
            #expect(r.provider == flow.provider, "\(flow.capture)")
        }
    }

    /// dnscrypt-proxy resolving through 29 DoH servers of the public list (ndpi_dnscrypt-v2-doh.pcap,
    /// every distinct destination/SNI, ALPN h2,http/1.1 on all). Four are personal or defunct servers the
    /// default list leaves out; nothing else identifies them, so they stay unclassified.
    static let dnscryptProxyFlows: [(String, UInt16, String)] = [
        ("217.169.20.23", 443, "dns.aa.net.uk"), ("1.0.0.1", 443, "dns.cloudflare.com"),
        ("185.95.218.42", 443, "dns.digitale-gesellschaft.ch"), ("185.233.106.232", 443, "dns.dnshome.de"),
        ("45.90.28.0", 443, "dns.nextdns.io"), ("167.114.220.125", 453, "dns1.dnscrypt.ca"),
        ("9.9.9.10", 443, "dns10.quad9.net"), ("149.56.228.45", 453, "dns2.dnscrypt.ca"),
        ("185.253.154.66", 443, "dnses.alekberg.net"), ("51.15.124.208", 443, "dnsnl.alekberg.net"),
        ("45.153.187.96", 443, "dnsse.alekberg.net"), ("139.99.222.72", 443, "doh-2.seby.io"),
        ("146.255.56.98", 443, "doh.appliedprivacy.net"), ("193.70.85.11", 443, "doh.bortzmeyer.fr"),
        ("104.28.0.106", 443, "doh.crypto.sx"), ("185.235.81.1", 443, "doh.dnslify.com"),
        ("195.30.94.28", 443, "doh.ffmuc.net"), ("116.202.176.26", 443, "doh.libredns.gr"),
        ("136.144.215.158", 443, "doh.powerdns.org"), ("45.76.113.31", 8443, "doh.seby.io"),
        ("95.216.229.153", 443, "fi.doh.dns.snopyta.org"), ("85.5.93.230", 443, "ibksturm.synology.me"),
        ("209.250.241.25", 443, "jarjar.meganerd.nl"), ("172.104.93.80", 443, "jp.tiar.app"),
        ("104.28.28.34", 443, "jp.tiarap.org"), ("185.43.135.1", 443, "odvr.nic.cz"),
        ("185.134.196.55", 443, "rdns.faelix.net"), ("51.158.147.50", 443, "resolver-eu.lelux.fi"),
        ("116.203.179.248", 443, "rumpelsepp.org"),
    ]

    @Test func dnscryptProxyDoHServers() {
        let notListed: Set<String> = [
            "fi.doh.dns.snopyta.org", "ibksturm.synology.me", "jarjar.meganerd.nl", "rumpelsepp.org",
        ]
        var detected = 0
        for (address, port, sni) in Self.dnscryptProxyFlows {
            let r = classifier.classify(
                destination: endpoint(address, port), transport: .tcp, sni: sni, alpn: ["h2", "http/1.1"])
            if notListed.contains(sni) {
                #expect(r == nil, "\(sni)")
            } else {
                #expect(r?.kind == .dnsOverHTTPS, "\(sni)")
                #expect(
                    r?.evidence.contains { if case .resolverHostName = $0 { return true } else { return false } }
                        == true, "\(sni)")
                detected += 1
            }
        }
        #expect(detected == 25)
    }
}
