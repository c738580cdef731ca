import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockHTTPWire
import AirlockTestSupport
import Testing

/// Issue #11: data spelled as pronounceable syllables in URL paths passed `http.url_entropy`
/// (46,840 bytes in 2 s, stopped only by the request rate). The heads' novel bytes now count per
/// sandbox and destination (`http.information_budget`).
struct HeadInformationTests {
    let clock = Clock()

    /// `count` random bytes spelled as syllables (consonant + vowel, 6 bits each): about 3 bits per
    /// character, under every entropy threshold, no encoding's shape.
    static func syllables(_ count: Int, _ random: inout SeededRandom) -> String {
        let consonants = Array("bdfgklmnprstvwyz")
        let vowels = Array("aeio")
        var out = ""
        for _ in 0..<(count * 8 / 6) {
            let six = Int(random.next() % 64)
            out.append(consonants[six >> 2])
            out.append(vowels[six & 3])
        }
        return out
    }

    static func head(_ text: String) throws -> HTTPRequestHead {
        switch HTTPRequestParser.parse(Array(text.utf8).span, limits: HTTPLimits()) {
        case .complete(let head): return head
        case .failure(let error): throw HeadError.unparsed("\(error)")
        case .needMoreData: throw HeadError.unparsed("incomplete")
        }
    }

    enum HeadError: Error { case unparsed(String) }

    /// Charges the heads in turn; the novel bytes of each.
    static func charges(_ heads: [String]) throws -> [Int] {
        var memory = HeadMemory()
        return try heads.map { memory.charge(HeadLines.of(try head($0), host: "api.example.com")) }
    }

    static func get(_ path: String, _ fields: String = "User-Agent: pip/24.0\r\nAccept: */*\r\n") -> String {
        "GET http://api.example.com\(path) HTTP/1.1\r\nHost: api.example.com\r\n\(fields)\r\n"
    }

    @Test func syllablesInPathsAreRefusedOnceTheirBytesPassTheBudget() throws {
        let policy = basePolicy.replacingOccurrences(
            of: "  upload_budget: {bytes: 1000, window_seconds: 60}",
            with: "  upload_budget: {bytes: 1000, window_seconds: 60}\n  information_budget: {bytes: 4000, window_seconds: 60}")
        let (first, shared) = try makeMachine(policy: policy)
        var random = SeededRandom(seed: 11)
        var sent = 0
        var refusal: String?
        for _ in 0..<200 {
            var m = ConnectionMachine(context: shared, client: first.client, now: clock.now)
            let data = Self.syllables(30, &random)
            var clientIn = bytes(Self.get("/wiki/\(data)"))
            let actions = m.clientData(&clientIn, now: clock.now)
            if let text = clientText(actions), text.hasPrefix("HTTP/1.1 403") {
                refusal = text
                break
            }
            #expect(actions.resolveName == "api.example.com")
            sent += 30
        }
        // Before: all 200 requests (6,000 bytes of data) went out; the entropy check saw nothing.
        let text = try #require(refusal, "\(sent) bytes of data left in syllables, no refusal")
        #expect(text.contains("X-Airlock-Rule: http.information_budget"))
        #expect(text.contains("X-Airlock-Kind: budget-exhausted"))
        #expect(text.contains("X-Airlock-Evidence: head_information_bytes="))
        // 40 characters of syllables carry 30 bytes; the budget is 4,000 bytes of characters.
        #expect(sent <= 3_100, "\(sent) bytes of data left before the refusal")
    }

    @Test func theSameHeadAgainIsNothingNewAndAChangedCounterIsItsDigits() throws {
        let charged = try Self.charges(
            [Self.get("/simple/requests/"), Self.get("/simple/requests/"), Self.get("/items?page=1")]
                + (2...9).map { Self.get("/items?page=\($0)") })
        // The first head is all new: its target, its two fields and its list of names.
        #expect(charged[0] == "GET api.example.com/simple/requests/".utf8.count + 20 + 11 + 1)
        #expect(charged[1] == 0)
        #expect(charged[3...].allSatisfy { $0 == 1 }, "\(charged)")
    }

    @Test func choosingAmongKnownTargetsCountsOneByte() throws {
        let known = ["/a/status", "/b/metrics", "/c/health"].map { Self.get($0) }
        let charged = try Self.charges(known + known + known)
        #expect(charged[3...].allSatisfy { $0 == 1 }, "\(charged)")
    }

    @Test func fieldsCountWhatChangesNewFieldsTheirWholeLineAndAnotherListOfNamesOneByte() throws {
        var random = SeededRandom(seed: 3)
        let data = Self.syllables(60, &random)
        let charged = try Self.charges([
            Self.get("/x"), Self.get("/x", "User-Agent: pip/24.0 \(data)\r\nAccept: */*\r\n"),
            Self.get("/x", "User-Agent: pip/24.0 \(data)\r\nAccept: */*\r\nX-Note: hello\r\n"),
            Self.get("/x", "User-Agent: pip/24.0 \(data)\r\n"),
        ])
        #expect(charged[1] == 1 + data.utf8.count)
        #expect(charged[2] == "X-Note: hello".utf8.count + 1)
        #expect(charged[3] == 1)  // Accept and X-Note gone: the list of names changed
    }

    @Test func hopByHopFieldsAndTheTokenNeverReachTheDestinationSoNeverCount() throws {
        let charged = try Self.charges([
            Self.get("/x", "Proxy-Authorization: Bearer aaaa\r\nConnection: keep-alive\r\n"),
            Self.get("/x", "Proxy-Authorization: Bearer bbbbbbbbbbbbbbbbb\r\nConnection: close\r\n"),
        ])
        #expect(charged[1] == 0)
    }

    @Test func aBusyOrdinaryWindowStaysUnderTheDefaultBudget() throws {
        // In one window (300 s): 300 package files from one mirror, apt-like, the same fields each
        // time, and 300 polls of one URL carrying a fresh 32-digit request id each (measured: 21,425
        // bytes, 12 K of them the paths' package names and versions, 9.6 K the ids).
        var heads: [String] = []
        var random = SeededRandom(seed: 5)
        for i in 0..<300 {
            let name = "pkg\(i % 97)-lib\(i)"
            heads.append(Self.get("/debian/pool/main/p/\(name)/\(name)_1.\(i % 7)-\(i % 3)_amd64.deb"))
            let id = (0..<32).map { _ in String(random.next() % 16, radix: 16) }.joined()
            heads.append(Self.get("/v1/status", "User-Agent: pip/24.0\r\nAccept: */*\r\nX-Request-Id: \(id)\r\n"))
        }
        let total = try Self.charges(heads).reduce(0, +)
        #expect(total < 32_768, "\(total) bytes for an ordinary session")
    }

    @Test func memoryPerDestinationIsBounded() throws {
        var memory = HeadMemory()
        var random = SeededRandom(seed: 9)
        let bound = HeadMemory.keptTargets * 2 * HeadMemory.targetEdge + HeadMemory.keptFields * 2 * HeadMemory.fieldEdge
        for _ in 0..<20 {
            let fields = (0..<60).map { _ in "X-F\(random.next() % 1000): " + Self.syllables(30, &random) + "\r\n" }.joined()
            let head = try Self.head(Self.get("/" + Self.syllables(1000, &random), fields))
            let lines = HeadLines.of(head, host: "api.example.com")
            let whole = lines.lines.reduce(0) { $0 + $1.nameLength + $1.value.count }
            #expect(memory.charge(lines) <= whole + 1)
            #expect(memory.storedBytes <= bound)
            // The same head again: nothing new.
            #expect(memory.charge(lines) == 0)
        }
    }
}
