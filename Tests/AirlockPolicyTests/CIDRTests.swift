import AirlockEvents
import Testing

@testable import AirlockPolicy

@Suite struct CIDRTests {
    private func cidr(_ text: String) throws -> CIDR { try CIDR.parse(text).get() }
    private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test func parsesAndMatchesIPv4() throws {
        let net = try cidr("198.18.1.0/24")
        #expect(net.description == "198.18.1.0/24")
        #expect(net.contains(ip("198.18.1.0")))
        #expect(net.contains(ip("198.18.1.255")))
        #expect(!net.contains(ip("198.18.2.0")))
        #expect(!net.contains(ip("198.18.0.255")))
        #expect(!net.contains(ip("2001:db8::1")))
        // A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6.
        #expect(net.contains(ip("::ffff:198.18.1.7")))
        #expect(try cidr("0.0.0.0/0").contains(ip("203.0.113.9")))
        #expect(try cidr("198.18.1.5").prefixLength == 32)
    }

    @Test func parsesAndMatchesIPv6() throws {
        let net = try cidr("2001:db8:1::/64")
        #expect(net.contains(ip("2001:db8:1::1")))
        #expect(net.contains(ip("2001:db8:1:0:ffff:ffff:ffff:ffff")))
        #expect(!net.contains(ip("2001:db8:1:1::")))
        #expect(!net.contains(ip("198.18.1.1")))
        let odd = try cidr("2001:db8:1:0:8000::/65")
        #expect(odd.contains(ip("2001:db8:1:0:8000::1")))
        #expect(!odd.contains(ip("2001:db8:1:0:7fff::1")))
        #expect(try cidr("::/0").contains(ip("::1")))
        #expect(try cidr("::1").prefixLength == 128)
    }

    @Test func rejectsBadText() {
        #expect(CIDR.parse("198.18.1.5/24") == .failure(.hostBitsSet(suggestion: "198.18.1.0/24")))
        #expect(CIDR.parse("2001:db8::1/32") == .failure(.hostBitsSet(suggestion: "2001:db8::/32")))
        #expect(CIDR.parse("198.18.1.0/33") == .failure(.prefixTooLong(33, max: 32)))
        #expect(CIDR.parse("::/129") == .failure(.prefixTooLong(129, max: 128)))
        #expect(CIDR.parse("10.0.0.0/") == .failure(.badPrefix("")))
        #expect(CIDR.parse("10.0.0.0/-1") == .failure(.badPrefix("-1")))
        #expect(CIDR.parse("10.0.0/8") == .failure(.notAnAddress))
        #expect(CIDR.parse("example.com/8") == .failure(.notAnAddress))
    }

    @Test func overlaps() throws {
        #expect(try cidr("198.18.0.0/16").overlaps(cidr("198.18.1.0/24")))
        #expect(try cidr("198.18.1.0/24").overlaps(cidr("198.18.0.0/16")))
        #expect(try !cidr("198.18.1.0/24").overlaps(cidr("198.18.2.0/24")))
        #expect(try !cidr("0.0.0.0/0").overlaps(cidr("::/0")))
        #expect(try cidr("2001:db8:1::/64").overlaps(cidr("2001:db8:1:0:1::/80")))
    }

    @Test func specialAddresses() {
        #expect(SpecialAddress.category(of: ip("127.0.0.1")) == "loopback")
        #expect(SpecialAddress.category(of: ip("169.254.169.254")) == "link-local (cloud metadata lives here)")
        #expect(SpecialAddress.category(of: ip("10.1.2.3")) == "private (RFC 1918)")
        #expect(SpecialAddress.category(of: ip("172.31.255.255")) == "private (RFC 1918)")
        #expect(SpecialAddress.category(of: ip("172.32.0.1")) == nil)
        #expect(SpecialAddress.category(of: ip("::ffff:192.168.1.1")) == "private (RFC 1918)")
        #expect(SpecialAddress.category(of: ip("64:ff9b::a00:1")) == "private (RFC 1918)")  // NAT64 of 10.0.0.1
        #expect(SpecialAddress.category(of: ip("::1")) == "loopback")
        #expect(SpecialAddress.category(of: ip("fd00::1")) == "unique local (private)")
        #expect(SpecialAddress.category(of: ip("fe80::1")) == "link-local")
        #expect(SpecialAddress.category(of: ip("8.8.8.8")) == nil)
        #expect(SpecialAddress.category(of: ip("2606:4700::1111")) == nil)
    }

    /// The integer tables `category(of:)` matches with agree with the ranges' own `CIDR.contains`, at
    /// every range's first and last address and one step outside each end, and at random addresses.
    @Test func specialAddressesAgreeWithTheRanges() {
        func expected(_ address: IPAddress) -> String? {
            SpecialAddress.ranges.first { $0.cidr.contains(address) }?.category
        }
        var probes: [IPAddress] = []
        for range in SpecialAddress.ranges {
            switch range.cidr.address {
            case .v4(let network):
                let size = UInt64(1) << UInt64(32 - range.cidr.prefixLength)
                let last = UInt32(truncatingIfNeeded: UInt64(network) + size - 1)
                probes += [.v4(network), .v4(last), .v4(network &- 1), .v4(last &+ 1)]
            case .v6(let high, let low):
                let length = range.cidr.prefixLength
                let lastHigh = length >= 64 ? high : high | (length == 0 ? ~0 : ~(~UInt64(0) << UInt64(64 - length)))
                let lastLow = length >= 128 ? low : low | (length <= 64 ? ~0 : ~(~UInt64(0) << UInt64(128 - length)))
                probes += [
                    .v6(high: high, low: low), .v6(high: lastHigh, low: lastLow),
                    .v6(high: low == 0 ? high &- 1 : high, low: low &- 1),
                    .v6(high: lastLow == ~0 ? lastHigh &+ 1 : lastHigh, low: lastLow &+ 1),
                ]
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            probes.append(.v4(UInt32.random(in: .min ... .max, using: &generator)))
            // Random IPv6 in the ranges' neighbourhood: high halves with a special range's first bytes.
            let top = [UInt64(0), 0x0064_ff9b_0001_0000, 0x0100_0000_0000_0000, 0x2001_0db8_0000_0000,
                       0xfc00_0000_0000_0000, 0xfe80_0000_0000_0000, 0xff00_0000_0000_0000].randomElement()!
            let spread = UInt64.random(in: 0 ... .max, using: &generator) >> UInt64.random(in: 1...63, using: &generator)
            probes.append(.v6(high: top ^ spread, low: UInt64.random(in: 0 ... 3, using: &generator)))
        }
        var mismatches: [IPAddress] = []
        for address in probes where SpecialAddress.category(of: address) != expected(address) {
            mismatches.append(address)
        }
        #expect(probes.count > 40_000)
        let firstMismatches = Array(mismatches.prefix(5))
        #expect(firstMismatches == [], "\(mismatches.count) addresses judged differently")
        #expect(probes.contains { expected($0) != nil } && probes.contains { expected($0) == nil })
    }
}
