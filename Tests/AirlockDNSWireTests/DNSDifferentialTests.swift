import AirlockDNSWire
import AirlockEvents
import AirlockLDNS
import AirlockTestSupport
import Foundation
import Testing

/// The fast path against libldns on every message of the committed capture corpus.
///
/// Where both accept a message their fields must agree. Where only ldns accepts, the fast path must
/// have rejected it for one of the rules ldns does not check (see ``strictOnlyReasons``). Where only
/// the fast path accepts, something is wrong on one side: none are allowed.
@Suite("Fast path vs ldns")
struct DNSDifferentialTests {
    // The rules live in AirlockLDNS (LDNSCrossCheck), shared with the differential fuzz harness.
    static let strictOnlyReasons = LDNSCrossCheck.strictOnlyReasons
    static let exactTypes = LDNSCrossCheck.exactTypes

    static func differences(fast: DNSMessage, ldns: DNSMessage, records: [DNSRecordInfo]) -> [String] {
        LDNSCrossCheck.differences(fast: fast, ldns: ldns, records: records)
    }

    static func payloadIsComparable(_ records: [DNSRecordInfo]) -> Bool {
        LDNSCrossCheck.payloadIsComparable(records)
    }

    static func opaqueTypesLDNSDecodes(_ records: [DNSRecordInfo]) -> [UInt16] {
        LDNSCrossCheck.opaqueTypesLDNSDecodes(records)
    }

    @Test func agreesWithLDNSOnTheCaptureCorpus() throws {
        let corpus = try Wire.corpus()
        #expect(corpus.count >= 600, "the committed corpus went missing or shrank")
        var bothAccept = 0
        var exactPayload = 0
        var bothReject = 0
        var trailing = 0
        var onlyLDNSAccepts: [String: Int] = [:]
        var onlyLDNSDetails: [String] = []
        var onlyFastAccepts: [String] = []
        var disagreements: [String] = []
        var rejectReasons: [String: Int] = [:]
        for (index, (source, bytes)) in corpus.enumerated() {
            let fast = DNSWireReader.parse(bytes.span)
            let ldns = LDNSCodec.parse(bytes)
            switch (fast, ldns) {
            case (.success(let a), .success(let b)):
                bothAccept += 1
                let records = try DNSWireReader.records(bytes.span).get()
                if Self.payloadIsComparable(records) { exactPayload += 1 }
                if a.trailingBytes > 0 { trailing += 1 }
                let diff = Self.differences(fast: a, ldns: b, records: records)
                if !diff.isEmpty { disagreements.append("#\(index) \(source): \(diff.joined(separator: "; "))") }
            case (.failure(let error), .success):
                onlyLDNSAccepts[error.reason, default: 0] += 1
                onlyLDNSDetails.append("#\(index) \(source): \(error)")
                rejectReasons[error.reason, default: 0] += 1
                if !Self.strictOnlyReasons.contains(error.reason) {
                    disagreements.append("#\(index) \(source): only ldns accepts, fast path says \(error)")
                }
            case (.success, .failure(let error)):
                onlyFastAccepts.append("#\(index) \(source): ldns says \(error)")
            case (.failure(let a), .failure):
                bothReject += 1
                rejectReasons[a.reason, default: 0] += 1
            }
        }
        print(
            """
            differential: \(corpus.count) messages; both accept \(bothAccept) (payload bytes compared exactly in \(exactPayload), \
            \(trailing) with trailing bytes), both reject \(bothReject), only ldns accepts \(onlyLDNSAccepts), \
            only fast path accepts \(onlyFastAccepts.count); fast-path reject reasons \(rejectReasons)
            """)
        for line in onlyLDNSDetails.prefix(20) { print("  only ldns accepts \(line)") }
        for line in disagreements.prefix(20) { print("  disagreement \(line)") }
        for line in onlyFastAccepts.prefix(20) { print("  only fast accepts \(line)") }
        #expect(disagreements.isEmpty)
        #expect(onlyFastAccepts.isEmpty)
        #expect(bothAccept > 500)
    }
}

/// Seeded mutations of the corpus (byte flips, splices, truncations, count changes): neither parser
/// may crash, and the same agreement rules hold on inputs no capture would show.
@Suite("Fast path vs ldns, mutated")
struct DNSMutationTests {
    static func mutate(_ input: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var bytes = input
        guard !bytes.isEmpty else { return bytes }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes = Array(bytes[..<i])
            case 3: bytes[i] = [0x00, 0x3F, 0x40, 0x80, 0xC0, 0xFF].randomElement(using: &rng)!
            case 4 where bytes.count >= 12:  // bump a section count
                let at = 4 + 2 * Int.random(in: 0..<4, using: &rng)
                bytes[at + 1] &+= 1
            default:  // insert a pointer to a random offset
                let target = Int.random(in: 0..<max(bytes.count, 1), using: &rng)
                bytes.replaceSubrange(
                    i..<min(i + 2, bytes.count), with: [0xC0 | UInt8((target >> 8) & 0x3F), UInt8(target & 0xFF)])
            }
            if bytes.isEmpty { break }
        }
        return bytes
    }

    @Test func mutatedCorpusKeepsTheAgreementRules() throws {
        let corpus = try Wire.corpus()
        // AIRLOCK_MUTATION_ROUNDS / AIRLOCK_MUTATION_SEED run a longer or different campaign by hand.
        let environment = ProcessInfo.processInfo.environment
        let rounds = environment["AIRLOCK_MUTATION_ROUNDS"].flatMap { Int($0) } ?? 20_000
        var rng = SeededRandom(seed: environment["AIRLOCK_MUTATION_SEED"].flatMap { UInt64($0) } ?? 0xA1B_10C)
        var counts = (bothAccept: 0, bothReject: 0, onlyLDNS: 0, onlyFast: 0, onlyFastOpaque: 0)
        var onlyLDNSReasons: [String: Int] = [:]
        var opaqueTypes: [String: Int] = [:]
        var problems: [String] = []
        for round in 0..<rounds {
            let (source, original) = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
            let bytes = Self.mutate(original, &rng)
            let hex = bytes.map {
                String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
            }.joined()
            let outcome = LDNSCrossCheck.compare(bytes)
            if outcome.isProblem { problems.append("round \(round) from \(source): \(outcome) \(hex)") }
            switch outcome {
            case .bothAccept:
                counts.bothAccept += 1
            case .onlyLDNSAccepts(let error, _):
                counts.onlyLDNS += 1
                onlyLDNSReasons[error.reason, default: 0] += 1
            case .onlyFastPathAccepts(_, let opaque):
                counts.onlyFast += 1
                if !opaque.isEmpty { counts.onlyFastOpaque += 1 }
                for type in opaque { opaqueTypes[DNSRecordType.name(type), default: 0] += 1 }
            case .bothReject:
                counts.bothReject += 1
            }
        }
        print(
            "mutations: \(rounds); both accept \(counts.bothAccept), both reject \(counts.bothReject), only ldns accepts \(counts.onlyLDNS) \(onlyLDNSReasons), only fast path accepts \(counts.onlyFast) (\(counts.onlyFastOpaque) with RDATA only ldns decodes: \(opaqueTypes))"
        )
        for line in problems.prefix(15) { print("  \(line)") }
        #expect(problems.isEmpty)
    }
}
