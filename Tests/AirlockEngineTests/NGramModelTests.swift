import Testing

@testable import AirlockEngine

@Suite("Character n-gram model of legitimate labels")
struct NGramModelTests {
    let model = NGramModel.legitimateNames

    func score(_ label: String) -> Double {
        model.averageLogLikelihood(Array(label.utf8).span)
    }

    // MARK: the embedded table

    @Test("the base64 literal decodes to the table the training script wrote")
    func embeddedTable() throws {
        let table = try NGramModel.decodeBase64(NGramModelData.tableBase64)
        #expect(table.count == NGramModelData.tableByteCount)
        #expect(table.count == NGramModel.symbolCount * NGramModel.symbolCount * NGramModel.symbolCount)
        #expect(NGramModel.fnv1a64(table) == NGramModelData.tableFNV1a64)
        #expect(model.costs == table)
        #expect(NGramModelData.symbolCount == NGramModel.symbolCount)
        #expect(NGramModelData.order == 3)
        #expect(model.scale == NGramModelData.scale)
    }

    @Test("decoding is deterministic")
    func decodingIsDeterministic() throws {
        let first = try NGramModel.decodeBase64(NGramModelData.tableBase64)
        let second = try NGramModel.decodeBase64(NGramModelData.tableBase64)
        #expect(first == second)
        let rebuilt = try NGramModel(
            base64: NGramModelData.tableBase64, scale: NGramModelData.scale,
            expectedFNV1a64: NGramModelData.tableFNV1a64)
        #expect(rebuilt.costs == model.costs)
    }

    @Test("the symbol map matches the alphabet the training script declares")
    func symbolMapMatchesAlphabet() {
        let alphabet = Array(NGramModelData.alphabet.utf8)
        #expect(alphabet.count == NGramModel.symbolCount)
        // Index 0 is the boundary and 39 "other": neither is reachable from its display byte.
        for index in 1..<(NGramModel.symbolCount - 1) {
            #expect(Int(model.symbolOfByte[Int(alphabet[index])]) == index)
        }
        for byte in [UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), 0, 0x80, 0xFF] {
            #expect(Int(model.symbolOfByte[Int(byte)]) == NGramModel.other)
        }
        #expect(model.symbolOfByte[Int(UInt8(ascii: "Q"))] == model.symbolOfByte[Int(UInt8(ascii: "q"))])
    }

    @Test("the Swift scorer gives exactly the cost sums the Python scorer computed")
    func agreesWithTrainingScript() {
        #expect(NGramModelData.referenceCostSums.count >= 10)
        for (label, expected) in NGramModelData.referenceCostSums {
            #expect(model.costSum(Array(label.utf8).span) == expected, "label \(label)")
        }
    }

    // MARK: base64

    @Test("base64 decoder: RFC 4648 test vectors")
    func base64Vectors() throws {
        let vectors = ["": "", "Zg==": "f", "Zm8=": "fo", "Zm9v": "foo", "Zm9vYg==": "foob", "Zm9vYmE=": "fooba",
                       "Zm9vYmFy": "foobar", "+/8A": "\u{FB}\u{FF}\u{00}"]
        for (encoded, plain) in vectors {
            let expected = plain.unicodeScalars.map { UInt8($0.value) }
            #expect(try NGramModel.decodeBase64(encoded) == expected, "\(encoded)")
        }
    }

    @Test("base64 decoder rejects malformed text with the offending offset")
    func base64Rejects() {
        #expect(throws: NGramModelError.base64Length(3)) { try NGramModel.decodeBase64("Zm9") }
        #expect(throws: NGramModelError.invalidBase64(offset: 2)) { try NGramModel.decodeBase64("Zm-v") }
        #expect(throws: NGramModelError.invalidBase64(offset: 1)) { try NGramModel.decodeBase64("Z===") }
        #expect(throws: NGramModelError.invalidBase64(offset: 2)) { try NGramModel.decodeBase64("Zg=AZm9v") }
        #expect(throws: NGramModelError.invalidBase64(offset: 3)) { try NGramModel.decodeBase64("Zg=A") }
        #expect(throws: NGramModelError.invalidBase64(offset: 2)) { try NGramModel.decodeBase64("Zg==Zm9v") }
    }

    @Test("a corrupted or truncated table is refused, not used")
    func corruptTableRefused() throws {
        var text = Array(NGramModelData.tableBase64.utf8)
        text[100] = text[100] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let corrupted = String(decoding: text, as: UTF8.self)
        #expect(throws: NGramModelError.self) {
            try NGramModel(base64: corrupted, scale: 8, expectedFNV1a64: NGramModelData.tableFNV1a64)
        }
        #expect(throws: NGramModelError.tableSize(expected: 64_000, actual: 3)) {
            try NGramModel(costs: [1, 2, 3], scale: 8)
        }
    }

    // MARK: separation of names and encoded data

    /// Everyday labels and encoded strings of equal lengths: random-looking hex/base32/base36 strings
    /// fixed in this file, and prefixes of real encodings (`mzxw6ytb…` is base32 of "foobar",
    /// `dgvzdc1k…` and `c2vjcmv0…` base64 of "test-d…" and "secret-…" lower-cased, as DNSName folds
    /// case). Every name must score above every encoded string of its length.
    static let pairs: [(name: String, encoded: [String])] = [
        ("cdn", ["x7q", "zq9", "3vj"]),
        ("api", ["q0x", "k2z", "7wf"]),
        ("www", ["9fz", "qj4", "x0v"]),
        ("mail", ["fq8z", "2x7k", "v9qj"]),
        ("login", ["7xq2z", "mzq4v", "9kf0x"]),
        ("google", ["3f9a0c", "gq4z7x", "zw9qk2"]),
        ("static", ["b7e91d", "mjxw4z", "q2zv8k"]),
        ("support", ["c3vwcg9", "4f1e9a0", "hq5zx2w"]),
        ("accounts", ["mzxw6ytb", "dgvzdc1k", "8e2b41d0"]),
        ("cloudfront", ["a9f3c20e7b", "gezdgnbvgy", "x2qv0zk9tf"]),
        ("eu-west-1", ["k8zq2x9vj", "8c0f3e1a9", "m5xqz0w2k"]),
        ("autodiscover", ["8e2b41d07c9f", "gezdgnbvgy3t", "c2vjcmv0lwrh"]),
        ("mail-gateway-01", ["a1b2c3d4e5f6a7b", "gezdgnbvgy3tqoj", "dgvzdc1kyxrhlxc"]),
    ]

    @Test("common labels score well above random hex/base32/base64 labels of equal length")
    func namesAboveEncoded() {
        for (name, encoded) in Self.pairs {
            let nameScore = score(name)
            for text in encoded {
                #expect(text.utf8.count == name.utf8.count)
                // A margin of a bit per character: "well above", not a coin toss.
                #expect(nameScore > score(text) + 1.0, "\(name) \(nameScore) vs \(text) \(score(text))")
            }
        }
    }

    @Test("the ordering holds on the fixed lists: worst name above best encoded string")
    func orderingOnFixedLists() {
        let names = ["google", "mail", "cdn", "api", "login", "support", "accounts", "static", "cloudfront",
                     "autodiscover", "webmail", "images", "portal", "smtp", "calendar"]
        let encoded = ["3f9a0c17d2", "mzxw6ytboi", "dgvzdc1kyx", "c2vjcmv0lw", "a7f0e3b9c1", "gezdgnbvgy",
                       "x9k2qz7vwj", "0f1e2d3c4b", "q8zx0kv2m7", "b64xqz9vbw"]
        let worstName = names.map(score).min() ?? 0
        let bestEncoded = encoded.map(score).max() ?? 0
        #expect(worstName > bestEncoded + 0.5, "worst name \(worstName), best encoded \(bestEncoded)")
        #expect(worstName > -4.5)
        #expect(bestEncoded < -5.0)
    }

    @Test("bytes outside the alphabet are very unlikely; case folds; empty label is finite")
    func edgeBytes() {
        #expect(score("mail") == score("MAIL"))
        #expect(score("ma\u{7F}l") < score("mail") - 2.0)
        let binary: [UInt8] = [0xC3, 0x81, 0x00, 0xFF, 0x9A, 0x10]
        #expect(model.averageLogLikelihood(binary.span) < -8.0)
        let empty = model.averageLogLikelihood([UInt8]().span)
        #expect(empty.isFinite && empty < 0)
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 300)
        #expect(model.averageLogLikelihood(long.span).isFinite)
    }

    @Test("logLikelihood is the total over predictions of averageLogLikelihood")
    func totalsAndMeans() {
        for label in ["cdn", "3f9a0c17d2", "accounts"] {
            let bytes = Array(label.utf8)
            let total = model.logLikelihood(bytes.span)
            let mean = model.averageLogLikelihood(bytes.span)
            #expect(abs(total / Double(bytes.count + 1) - mean) < 1e-12)
            #expect(total == -Double(model.costSum(bytes.span)) / 8)
        }
    }
}
