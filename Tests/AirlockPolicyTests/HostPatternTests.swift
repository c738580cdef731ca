import AirlockEvents
import Testing

@testable import AirlockPolicy

@Suite struct HostPatternTests {
    private func pattern(_ text: String) throws -> HostPattern { try HostPattern.parse(text).get() }
    private func name(_ text: String) -> DNSName { DNSName(text)! }

    @Test func exact() throws {
        let p = try pattern("example.com")
        #expect(p.kind == .exact)
        #expect(p.matches(name("example.com")))
        #expect(p.matches(name("EXAMPLE.com.")))
        #expect(!p.matches(name("www.example.com")))
        #expect(!p.matches(name("example.co")))
        #expect(!p.matches(name("com")))
    }

    @Test func wildcardIsStrictlyBelow() throws {
        let p = try pattern("*.pypi.org")
        #expect(p.kind == .subdomains)
        #expect(p.matches(name("files.pypi.org")))
        #expect(p.matches(name("a.b.c.pypi.org")))
        #expect(!p.matches(name("pypi.org")))
        #expect(!p.matches(name("notpypi.org")))
    }

    @Test func suffixIncludesTheDomain() throws {
        let p = try pattern(".example.com")
        #expect(p.kind == .domainAndSubdomains)
        #expect(p.matches(name("example.com")))
        #expect(p.matches(name("deep.down.Example.COM")))
        // Label boundaries: a suffix of the text is not a suffix of the name.
        #expect(!p.matches(name("evil-example.com")))
        #expect(!p.matches(name("evilexample.com")))
        #expect(!p.matches(name("example.com.evil.net")))
    }

    @Test func normalisesCaseAndTrailingDot() throws {
        #expect(try pattern("Example.COM.").description == "example.com")
        #expect(try pattern("*.Example.com").description == "*.example.com")
        #expect(try pattern(".GitHub.com").description == ".github.com")
        #expect(try pattern("_dmarc.example.com").description == "_dmarc.example.com")
    }

    @Test func rejectsBadPatterns() {
        #expect(HostPattern.parse("*") == .failure(.matchesEverything))
        #expect(HostPattern.parse("*.") == .failure(.matchesEverything))
        #expect(HostPattern.parse(".") == .failure(.matchesEverything))
        #expect(HostPattern.parse("") == .failure(.empty))
        #expect(HostPattern.parse("a.*.com") == .failure(.misplacedWildcard))
        #expect(HostPattern.parse("*foo.com") == .failure(.misplacedWildcard))
        #expect(HostPattern.parse("**.com") == .failure(.misplacedWildcard))
        #expect(HostPattern.parse("a..com") == .failure(.emptyLabel))
        #expect(HostPattern.parse("..com") == .failure(.emptyLabel))
        #expect(HostPattern.parse("exa mple.com") == .failure(.whitespace))
        #expect(HostPattern.parse("ex/ample.com") == .failure(.badCharacter("/")))
        #expect(HostPattern.parse("b\u{FC}cher.de") == .failure(.nonASCII))
        // KELVIN SIGN lower-cases to ASCII 'k': refused before case folding.
        #expect(HostPattern.parse("\u{212A}.example") == .failure(.nonASCII))
        #expect(
            HostPattern.parse(String(repeating: "a", count: 64) + ".com")
                == .failure(.labelTooLong(String(repeating: "a", count: 64))))
        let long = Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".")
        #expect(HostPattern.parse(long) == .failure(.nameTooLong))
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "alow", in: PolicyDecoder.DNSKey.allCases.map(\.rawValue)) == "allow")
        #expect(Suggestion.closest(to: "dsn", in: PolicyDecoder.TopKey.allCases.map(\.rawValue)) == "dns")
        #expect(Suggestion.closest(to: "enforcing", in: PolicyMode.allCases.map(\.rawValue)) == "enforce")
        #expect(Suggestion.closest(to: "FOO", in: Array(RecordTypeNames.byName.keys)) == nil)
        #expect(Suggestion.closest(to: "quarantine", in: PolicyDecoder.DNSKey.allCases.map(\.rawValue)) == "quarantine_seconds")
        #expect(Suggestion.closest(to: "zzzzzz", in: PolicyDecoder.DNSKey.allCases.map(\.rawValue)) == nil)
    }

    @Test func recordTypeNames() {
        #expect(RecordTypeNames.parse("aaaa") == 28)
        #expect(RecordTypeNames.parse("HTTPS") == 65)
        #expect(RecordTypeNames.parse("TYPE99") == 99)
        #expect(RecordTypeNames.parse("65535") == 65535)
        #expect(RecordTypeNames.parse("0") == nil)
        #expect(RecordTypeNames.parse("65536") == nil)
        #expect(RecordTypeNames.parse("AAA") == nil)
        #expect(RecordTypeNames.name(35) == "NAPTR")
        #expect(RecordTypeNames.name(4242) == "TYPE4242")
    }
}
