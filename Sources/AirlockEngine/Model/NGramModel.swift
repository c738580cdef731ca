import AirlockEvents

/// A character trigram model of DNS labels, scoring how much a label looks like the names people
/// register and name hosts with.
///
/// Tunnels must pack data into labels, and encoded data (hex, base32, base64, base128) is close to
/// uniformly random over its alphabet, so under a model of real names it gets a low likelihood per
/// character, while ordinary labels (`mail`, `cdn`, `login`, `static`) get a high one. Unlike plain
/// Shannon entropy of the label's own characters, this works on short labels and does not flag
/// `accounts` or `cloudfront` for having many distinct letters.
///
/// The model predicts each character from the two before it, over 40 symbols: the label boundary
/// (used as begin and end marker), `a`–`z`, `0`–`9`, `-`, `_` and one "other" symbol for every other
/// byte. The probabilities are stored as a 40×40×40 table of 8-bit costs (−log2 P × scale), so
/// scoring is one table lookup per character with no allocation. See `Tools/ngram/README.md` for the
/// training data and the measured separation between real and encoded labels.
public struct NGramModel: Sendable {
    static let symbolCount = 40
    static let boundary = 0
    static let other = 39

    /// Costs row-major `[a][b][c]`: the cost of symbol `c` following `a b`, in 1/`scale` bits.
    let costs: [UInt8]
    /// Byte → symbol index (0–39); upper-case ASCII folds to its lower-case symbol.
    let symbolOfByte: [UInt8]
    /// Cost units per bit.
    let scale: Int

    /// The model of legitimate names trained by `Tools/ngram/train.py`, decoded once from the
    /// base64 literal in `NGramModelData.swift`.
    public static let legitimateNames: NGramModel = {
        do {
            return try NGramModel(
                base64: NGramModelData.tableBase64, scale: NGramModelData.scale,
                expectedFNV1a64: NGramModelData.tableFNV1a64)
        } catch {
            // The literal is generated and checked by the tests; a failure here is a broken build.
            fatalError("embedded n-gram model is corrupt: \(error)")
        }
    }()

    /// A model from a raw cost table of `symbolCount³` entries.
    init(costs: [UInt8], scale: Int) throws(NGramModelError) {
        let expected = Self.symbolCount * Self.symbolCount * Self.symbolCount
        guard costs.count == expected else { throw .tableSize(expected: expected, actual: costs.count) }
        guard scale > 0 else { throw .invalidScale(scale) }
        self.costs = costs
        self.scale = scale
        self.symbolOfByte = Self.makeSymbolMap()
    }

    /// The model's table from its base64 literal (``Base64``), failures named for the model.
    static func decodeBase64(_ text: String) throws(NGramModelError) -> [UInt8] {
        switch Base64.decode(text) {
        case .success(let bytes): return bytes
        case .failure(.length(let length)): throw .base64Length(length)
        case .failure(.invalid(let offset)): throw .invalidBase64(offset: offset)
        }
    }

    /// A model from the base64 form the training script writes, verified against its FNV-1a 64 checksum.
    init(base64: String, scale: Int, expectedFNV1a64: UInt64) throws(NGramModelError) {
        let table = try Self.decodeBase64(base64)
        let actual = Self.fnv1a64(table)
        guard actual == expectedFNV1a64 else { throw .checksumMismatch(expected: expectedFNV1a64, actual: actual) }
        try self.init(costs: table, scale: scale)
    }

    /// Mean log2 probability per predicted symbol (each character plus the end marker), in bits.
    ///
    /// Roughly −3 to −4 for ordinary labels and −6 to −8 for random hex/base32/base64 of the same
    /// length (see the README's figures). The label is expected lower-cased, as `DNSName` stores it;
    /// upper-case ASCII is folded anyway, and bytes outside `[a-z0-9-_]` count as "other", which the
    /// model gives a very low probability. An empty label scores its end marker alone.
    public func averageLogLikelihood(_ label: Span<UInt8>) -> Double {
        -Double(costSum(label)) / Double(scale * (label.count + 1))
    }

    /// Total log2 probability of the label (characters plus end marker), in bits: the negative of its
    /// surprisal. Sums over labels give the likelihood of a whole name under the model.
    public func logLikelihood(_ label: Span<UInt8>) -> Double {
        -Double(costSum(label)) / Double(scale)
    }

    /// Sum of the quantised costs over the label's predictions: integer, so the Swift and Python
    /// scorers agree exactly.
    func costSum(_ label: Span<UInt8>) -> Int {
        let table = costs.span
        let symbols = symbolOfByte.span
        let v = Self.symbolCount
        // `row` is the start of the current context's row (a·V² + b·V); `nextRowBase` is b·V², the
        // part of the next context that the current symbol contributes.
        var row = 0
        var nextRowBase = 0
        var total = 0
        for i in label.indices {
            let c = Int(symbols[Int(label[i])])
            total += Int(table[row + c])
            row = nextRowBase + c * v
            nextRowBase = c * v * v
        }
        return total + Int(table[row + Self.boundary])
    }

    /// Byte → symbol: boundary 0, `a`–`z` 1–26, `0`–`9` 27–36, `-` 37, `_` 38, other 39.
    static func makeSymbolMap() -> [UInt8] {
        var map = [UInt8](repeating: UInt8(other), count: 256)
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { map[Int(byte)] = byte - UInt8(ascii: "a") + 1 }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { map[Int(byte)] = byte - UInt8(ascii: "A") + 1 }
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { map[Int(byte)] = byte - UInt8(ascii: "0") + 27 }
        map[Int(UInt8(ascii: "-"))] = 37
        map[Int(UInt8(ascii: "_"))] = 38
        return map
    }

    /// FNV-1a 64: a cheap whole-table checksum that needs no Foundation or crypto library.
    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Why a cost table could not become a model.
enum NGramModelError: Error, Equatable, CustomStringConvertible {
    /// A byte outside the base64 alphabet, or misplaced padding, at this offset of the text.
    case invalidBase64(offset: Int)
    /// The text's length is not a multiple of 4 (the encoder always pads).
    case base64Length(Int)
    case tableSize(expected: Int, actual: Int)
    case checksumMismatch(expected: UInt64, actual: UInt64)
    case invalidScale(Int)

    var description: String {
        switch self {
        case .invalidBase64(let offset): "invalid base64 byte or padding at offset \(offset)"
        case .base64Length(let length): "base64 length \(length) is not a multiple of 4"
        case .tableSize(let expected, let actual): "cost table has \(actual) entries, expected \(expected)"
        case .checksumMismatch(let expected, let actual):
            "cost table FNV-1a 64 is \(hex(actual)), expected \(hex(expected))"
        case .invalidScale(let scale): "quantisation scale \(scale) is not positive"
        }
    }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
