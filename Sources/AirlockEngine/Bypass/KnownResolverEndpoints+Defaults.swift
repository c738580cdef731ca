import AirlockEvents

/// The default list of public encrypted-DNS resolvers.
///
/// Sources (checked 2026): each provider's own setup page for its DoH/DoT host names and anycast
/// addresses — Cloudflare developers.cloudflare.com/1.1.1.1, Google developers.google.com/speed/public-dns,
/// Quad9 quad9.net/service/service-addresses-and-features, OpenDNS/Cisco Umbrella docs, AdGuard
/// adguard-dns.io/kb/general/dns-providers, NextDNS, Mullvad mullvad.net/help/dns-over-https-and-dns-over-tls,
/// CleanBrowsing, AliDNS alidns.com, DNSPod docs.dnspod.cn, Control D docs; and the DNSCrypt project's
/// public resolver list (github.com/DNSCrypt/dnscrypt-resolvers v3/public-resolvers.md), whose DoH and
/// DNSCrypt stamps give the community resolvers below and every DNSCrypt address:port. Names seen in
/// the nDPI `ndpi_dnscrypt-v2-doh.pcap` capture (dnscrypt-proxy resolving through that list) were
/// cross-checked against it. Personal and defunct servers from that list are left out on purpose.
extension KnownResolverEndpoints {
    /// Provider → host names; a leading `*.` means the name and everything below it.
    static let defaultHostTable: [(provider: String, hosts: [String])] = [
        // Firefox's TRR default is mozilla.cloudflare-dns.com, Chrome's chrome.cloudflare-dns.com;
        // security./family./1dot1dot1dot1. are the filtered and IPv6 variants.
        ("Cloudflare", ["*.cloudflare-dns.com", "one.one.one.one", "dns.cloudflare.com"]),
        // dns64.dns.google serves DNS64; dns.google.com is the older JSON API name.
        ("Google Public DNS", ["*.dns.google", "dns.google.com"]),
        ("Quad9", ["dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net"]),
        ("OpenDNS", ["doh.opendns.com", "doh.familyshield.opendns.com", "doh.sandbox.opendns.com"]),
        (
            "AdGuard DNS",
            [
                "dns.adguard-dns.com", "family.adguard-dns.com", "unfiltered.adguard-dns.com", "*.d.adguard-dns.com",
                "dns.adguard.com", "dns-family.adguard.com", "dns-unfiltered.adguard.com",
            ]
        ),
        // Per-profile endpoints are <id>.dns.nextdns.io (DoT) and dns.nextdns.io/<id> (DoH). The rest of
        // nextdns.io (my., api., the web site) is not a resolver, so only this subtree is listed.
        ("NextDNS", ["*.dns.nextdns.io"]),
        // The same names serve DoH and DoT; adblock.doh., base.dns., family.dns., all.dns. … are filter variants.
        ("Mullvad DNS", ["*.doh.mullvad.net", "*.dns.mullvad.net"]),
        (
            "CleanBrowsing",
            [
                "doh.cleanbrowsing.org", "family-filter-dns.cleanbrowsing.org", "adult-filter-dns.cleanbrowsing.org",
                "security-filter-dns.cleanbrowsing.org",
            ]
        ),
        ("AliDNS", ["dns.alidns.com"]),
        ("DNSPod", ["*.doh.pub", "dot.pub"]),
        ("360 Secure DNS", ["doh.360.cn", "dot.360.cn"]),
        ("Control D", ["*.freedns.controld.com", "*.dns.controld.com"]),
        ("DNS.SB", ["doh.dns.sb"]),
        ("DNS4EU", ["protective.joindns4.eu", "child.joindns4.eu", "noads.joindns4.eu", "child-noads.joindns4.eu"]),
        ("CZ.NIC ODVR", ["odvr.nic.cz"]),
        ("TWNIC Quad101", ["dns.twnic.tw"]),
        ("IIJ Public DNS", ["public.dns.iij.jp"]),
        ("CIRCL", ["dns.circl.lu"]),
        ("SWITCH", ["dns.switch.ch"]),
        ("Digitale Gesellschaft", ["dns.digitale-gesellschaft.ch"]),
        ("UncensoredDNS", ["anycast.uncensoreddns.org", "unicast.uncensoreddns.org"]),
        ("LibreDNS", ["doh.libredns.gr"]),
        ("Applied Privacy", ["doh.applied-privacy.net", "doh.appliedprivacy.net"]),
        ("Freifunk München", ["doh.ffmuc.net", "dot.ffmuc.net"]),
        ("PowerDNS", ["doh.powerdns.org"]),
        ("Andrews & Arnold", ["dns.aa.net.uk"]),
        ("Stéphane Bortzmeyer", ["doh.bortzmeyer.fr"]),
        ("dnshome.de", ["dns.dnshome.de"]),
        ("dnslify", ["doh.dnslify.com"]),
        ("crypto.sx", ["doh.crypto.sx"]),
        ("Alekberg", ["dnses.alekberg.net", "dnsnl.alekberg.net", "dnsse.alekberg.net", "dnsnl-noads.alekberg.net"]),
        ("publicarray", ["doh.seby.io", "doh-2.seby.io"]),
        ("Tiarap", ["doh.tiar.app", "jp.tiar.app", "doh.tiarap.org", "jp.tiarap.org"]),
        ("Faelix", ["rdns.faelix.net"]),
        ("lelux.fi", ["resolver-eu.lelux.fi"]),
        ("dnscrypt.ca", ["dns1.dnscrypt.ca", "dns2.dnscrypt.ca"]),
    ]

    /// Provider → anycast resolver addresses (plain DNS on 53, and DoH/DoT on 443/853 where offered).
    static let defaultAddressTable: [(provider: String, addresses: [String])] = [
        (
            "Cloudflare",
            [
                "1.1.1.1", "1.0.0.1", "1.1.1.2", "1.0.0.2", "1.1.1.3", "1.0.0.3",
                "2606:4700:4700::1111", "2606:4700:4700::1001", "2606:4700:4700::1112", "2606:4700:4700::1002",
                "2606:4700:4700::1113", "2606:4700:4700::1003",
            ]
        ),
        (
            "Google Public DNS",
            [
                "8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844", "2001:4860:4860::64",
                "2001:4860:4860::6464",
            ]
        ),
        (
            "Quad9",
            [
                "9.9.9.9", "149.112.112.112", "149.112.112.9", "9.9.9.10", "149.112.112.10", "9.9.9.11",
                "149.112.112.11", "2620:fe::fe", "2620:fe::9", "2620:fe::10", "2620:fe::fe:10", "2620:fe::11",
                "2620:fe::fe:11",
            ]
        ),
        (
            "OpenDNS",
            [
                "208.67.222.222", "208.67.220.220", "208.67.222.123", "208.67.220.123", "2620:119:35::35",
                "2620:119:53::53", "146.112.41.2", "2620:119:fc::2",
            ]
        ),
        (
            "AdGuard DNS",
            [
                "94.140.14.14", "94.140.15.15", "94.140.14.15", "94.140.15.16", "94.140.14.140", "94.140.14.141",
                "2a10:50c0::ad1:ff", "2a10:50c0::ad2:ff", "2a10:50c0::bad1:ff", "2a10:50c0::bad2:ff",
                "2a10:50c0::1:ff", "2a10:50c0::2:ff",
            ]
        ),
        ("NextDNS", ["45.90.28.0", "45.90.30.0", "2a07:a8c0::", "2a07:a8c1::"]),
        (
            "Mullvad DNS",
            [
                "194.242.2.2", "194.242.2.3", "194.242.2.4", "194.242.2.5", "194.242.2.6", "194.242.2.9",
                "2a07:e340::2", "2a07:e340::3", "2a07:e340::4", "2a07:e340::5", "2a07:e340::6", "2a07:e340::9",
            ]
        ),
        (
            "CleanBrowsing",
            [
                "185.228.168.168", "185.228.169.168", "185.228.168.10", "185.228.169.11", "185.228.168.9",
                "185.228.169.9",
            ]
        ),
        ("AliDNS", ["223.5.5.5", "223.6.6.6", "2400:3200::1", "2400:3200:baba::1"]),
        ("DNSPod", ["1.12.12.12", "120.53.53.53", "119.29.29.29"]),
        (
            "Control D",
            [
                "76.76.2.0", "76.76.2.1", "76.76.2.2", "76.76.2.3", "76.76.2.4", "76.76.2.5",
                "76.76.10.0", "76.76.10.1", "76.76.10.2", "76.76.10.3", "76.76.10.4", "76.76.10.5",
                "2606:1a40::", "2606:1a40:1::",
            ]
        ),
        ("DNS.SB", ["185.222.222.222", "45.11.45.11"]),
        ("DNS4EU", ["86.54.11.1", "86.54.11.201"]),
        ("CZ.NIC ODVR", ["193.17.47.1", "185.43.135.1"]),
        ("TWNIC Quad101", ["101.101.101.101", "101.102.103.104"]),
        ("Digitale Gesellschaft", ["185.95.218.42", "185.95.218.43"]),
        ("UncensoredDNS", ["91.239.100.100", "89.233.43.71"]),
        ("LibreDNS", ["116.202.176.26"]),
    ]

    /// Provider → DNSCrypt servers as `address:port` / `[v6]:port` (from their sdns:// stamps).
    static let defaultDNSCryptTable: [(provider: String, endpoints: [String])] = [
        (
            "OpenDNS",
            [
                "208.67.220.220:443", "208.67.220.123:443", "146.112.41.4:443",
                "[2620:119:35::35]:443", "[2620:0:ccc::2]:443",
            ]
        ),
        (
            "AdGuard DNS",
            [
                "94.140.14.14:5443", "94.140.14.15:5443", "94.140.14.140:5443", "[2a10:50c0::ad1:ff]:5443",
                "[2a10:50c0::bad1:ff]:5443", "[2a10:50c0::1:ff]:5443",
            ]
        ),
        ("CleanBrowsing", ["185.228.168.168:8443", "185.228.168.10:8443"]),
        (
            "Quad9",
            [
                "9.9.9.9:8443", "149.112.112.9:8443", "149.112.112.112:8443", "9.9.9.10:8443", "149.112.112.10:8443",
                "9.9.9.11:8443", "149.112.112.11:8443",
            ]
        ),
    ]

    /// The tables above as a list. Entries that fail to parse are dropped (tests check none do).
    public static let defaults = KnownResolverEndpoints(
        hostNames: defaultHostTable.flatMap { provider, hosts in
            hosts.map { pattern in
                pattern.hasPrefix("*.")
                    ? HostName(String(pattern.dropFirst(2)), includesSubdomains: true, provider: provider)
                    : HostName(pattern, provider: provider)
            }
        },
        addresses: defaultAddressTable.flatMap { provider, texts in
            texts.compactMap { IPAddress($0).map { Address($0, provider: provider) } }
        },
        dnsCryptServers: defaultDNSCryptTable.flatMap { provider, texts in
            texts.compactMap { parseEndpoint($0).map { DNSCryptServer($0, provider: provider) } }
        })

    /// `192.0.2.1:443` or `[2001:db8::1]:443` (``HostPort``: the port is required, never 0).
    static func parseEndpoint(_ text: String) -> Endpoint? {
        try? HostPort.parse(text).flatMap { $0.endpoint() }.get()
    }
}
