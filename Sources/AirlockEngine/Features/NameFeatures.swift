import AirlockEvents

/// What a name's bytes look like when read as a carrier of data.
public enum EncodingShape: String, Sendable, Equatable {
    /// Nothing that looks like an encoding.
    case plain
    /// Only `0-9a-f`, long and with both digits and letters: hex-encoded bytes.
    case hex
    /// Only `a-z2-7` (base32's alphabet) or `a-z0-9` with many digits: base32/base36.
    case base32
    /// Holds `+`, `/` or `=` (base64 padding and alphabet beyond hostnames).
    case base64
    /// Bytes outside printable ASCII: iodine's base128 and raw binary labels.
    case binary
}

/// Lexical features of the part of a query name below its domain group (the subdomain part),
/// where a tunnel has to put its data.
///
/// Computed on lower-cased bytes (``DNSName`` folds case), so 0x20 case randomisation adds nothing.
public struct NameFeatures: Sendable, Equatable {
    /// Labels below the domain group.
    public var subdomainLabels: Int = 0
    /// Bytes in those labels, dots excluded.
    public var subdomainLength: Int = 0
    /// The longest of those labels.
    public var longestLabel: Int = 0
    /// Shannon entropy in bits per character of the subdomain bytes.
    public var entropy: Double = 0
    /// Mean log₂ likelihood per character under the legitimate-name model (0 when nothing scored).
    public var ngramLogLikelihood: Double = 0
    /// Share of digits among subdomain bytes.
    public var digitShare: Double = 0
    /// Bytes outside `[a-z0-9-_]`: never in hostnames, common in encodings.
    public var nonHostnameBytes: Int = 0
    /// The encoding the bytes resemble.
    public var shape: EncodingShape = .plain
    /// An upper bound on the information the subdomain carries, in bits (length × entropy).
    public var informationBits: Double = 0
    /// Hash of the subdomain bytes, to tell a new name from a repeat without storing it.
    public var subdomainHash: UInt64 = 0
    /// Hash of the whole name (subdomain and domain), for the engine's table of recently seen names.
    public var nameHash: UInt64 = 0
    /// The subdomain's first and last bytes, to count how much of it a previous name already had.
    public var ends = NameEnds()
    /// Bits the name's *odd* labels can hold: each label's length × the bits per character of its
    /// alphabet (hex 4, digits 3.3, letters 4.7, letters and digits 5.2, base64 6, other bytes 8),
    /// weighted by how unpronounceable the label is. Readable labels (`ods`, `lambda-url`,
    /// `us-east-1`) hold no payload; a GUID holds 128 bits, a SHA-256 in hex 256, a chunk of base32
    /// data 5 bits a character. What a single name can carry on its own.
    public var payloadBits: Double = 0
    /// Share of the subdomain's characters (in labels of 3 or more) that sit in odd labels, each label
    /// weighted by how odd it is (its n-gram likelihood between ``DetectionConfiguration/oddNameLow``
    /// and `oddNameHigh`; non-hostname bytes make a label fully odd). `a3f1.6f2a91c3.api` is mostly
    /// odd although its readable `api` label lifts its mean likelihood.
    public var oddShare: Double = 0
    /// A label below the domain group is a common top-level domain (`pypi.org.corp.example.com`): the
    /// name embeds another name, as a resolver's search list makes it.
    public var embedsTLD = false

    public init() {}
}

/// Extracts ``NameFeatures`` in one pass over the name's wire bytes, without allocating.
public struct NameFeatureExtractor: Sendable {
    let model: NGramModel
    /// Label likelihoods (log₂ per character) between which a label turns from readable to odd, for
    /// ``NameFeatures/payloadBits`` (the configuration's `ngram_low` and `ngram_high`).
    let readableLikelihood: Double
    let oddLikelihood: Double
    /// The ramp of ``NameFeatures/oddShare`` (the configuration's `odd_name_low` and `odd_name_high`).
    let oddShareLow: Double
    let oddShareHigh: Double

    public init(model: NGramModel = .legitimateNames, configuration c: DetectionConfiguration = .default) {
        self.model = model
        self.readableLikelihood = c.ngramLow
        self.oddLikelihood = c.ngramHigh
        self.oddShareLow = c.oddNameLow
        self.oddShareHigh = c.oddNameHigh
    }

    /// Top-level domains most names end in (a search-list expansion embeds one): packed labels.
    static let commonTLDs: Set<UInt32> = Set(
        ["com", "net", "org", "io", "dev", "ai", "app", "co", "us", "uk", "de", "fr", "jp", "cn", "ru", "br", "in",
         "it", "nl", "au", "ca", "es", "eu", "info", "biz", "edu", "gov", "cloud", "tech", "xyz", "me", "tv", "cc",
         "ch", "se", "no", "pl", "kr", "sh", "gg", "ly", "so", "to", "site", "online", "aws"].map { pack(Array($0.utf8)) })

    static func pack(_ bytes: [UInt8]) -> UInt32 {
        bytes.reduce(UInt32(bytes.count)) { ($0 << 8) | UInt32($1) }
    }

    static func isCommonTLD(_ label: Span<UInt8>) -> Bool {
        var packed = UInt32(label.count)
        for i in 0..<label.count { packed = (packed << 8) | UInt32(label[i]) }
        return commonTLDs.contains(packed)
    }

    /// What a byte is, as bits a label's bytes are OR-ed into.
    enum ByteClass {
        static let letter: UInt8 = 1
        static let digit: UInt8 = 2
        /// A letter past `f` (not hex).
        static let letterAfterF: UInt8 = 4
        /// A digit outside base32's `2-7`.
        static let digitOutside2to7: UInt8 = 8
        /// `-` or `_`.
        static let punctuation: UInt8 = 16
        /// `+`, `/` or `=`.
        static let base64: UInt8 = 32
        /// Any other byte outside hostnames.
        static let other: UInt8 = 64
    }

    /// ``ByteClass`` bits of every byte value (names are lower-cased: upper-case letters never occur,
    /// and are "other" here as in the switch this replaced).
    static let byteClasses: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x61...0x7A: return ByteClass.letter | (b > 0x66 ? ByteClass.letterAfterF : 0)
        case 0x30...0x39: return ByteClass.digit | (b < 0x32 || b > 0x37 ? ByteClass.digitOutside2to7 : 0)
        case 0x2D, 0x5F: return ByteClass.punctuation
        case 0x2B, 0x2F, 0x3D: return ByteClass.base64
        default: return ByteClass.other
        }
    }

    /// Character classes for the entropy estimate: 0–25 letters, 26–35 digits, 36 '-', 37 '_',
    /// 38 '+', 39 '/', 40 '=', 41–56 other bytes folded by their low nibble.
    static let byteSlots: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x61...0x7A: return UInt8(b - 0x61)
        case 0x30...0x39: return UInt8(26 + b - 0x30)
        case 0x2D: return 36
        case 0x5F: return 37
        case 0x2B: return 38
        case 0x2F: return 39
        case 0x3D: return 40
        default: return UInt8(41 + (b & 0x0F))
        }
    }

    /// c·log₂(c) for c in 0…255.
    static let cLog2c: [Double] = (0..<256).map { $0 < 2 ? 0 : Double($0) * Math.log2(Double($0)) }

    /// ``NameFeatures/subdomainHash`` alone: FNV-1a of the wire bytes left of the rightmost
    /// `groupLabels` labels (0 when there are none).
    static func subdomainHash(of name: DNSName, groupLabels: Int) -> UInt64 {
        let scoredLabels = name.labelCount - groupLabels
        guard scoredLabels > 0 else { return 0 }
        let wire = name.wire.span
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var index = 0
        for _ in 0..<scoredLabels {
            let end = index + 1 + Int(wire[index])
            while index < end {
                hash = (hash ^ UInt64(wire[index])) &* 0x100_0000_01b3
                index += 1
            }
        }
        return hash
    }

    /// Features of the labels of `name` left of its rightmost `groupLabels` labels.
    public func features(of name: DNSName, groupLabels: Int) -> NameFeatures {
        var f = NameFeatures()
        let wire = name.wire
        let total = name.labelCount
        let scoredLabels = max(0, total - groupLabels)
        guard scoredLabels > 0 else { return f }

        // Character classes: 0–25 letters, 26–35 digits, 36 '-', 37 '_', 38 '+', 39 '/', 40 '=',
        // 41–56 other bytes folded by their low nibble (enough for an entropy estimate).
        var counts = InlineArray<57, UInt16>(repeating: 0)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        // What every byte of the subdomain is, OR-ed together (``ByteClass``).
        var seenClasses: UInt8 = 0
        let classes = Self.byteClasses, slots = Self.byteSlots
        var likelihoodSum = 0.0, likelihoodChars = 0
        var oddChars = 0.0, likelihoodCharsForShare = 0
        var index = 0
        for _ in 0..<scoredLabels {
            let length = Int(wire[index])
            let start = index + 1, end = start + length
            f.subdomainLabels += 1
            f.subdomainLength += length
            f.longestLabel = max(f.longestLabel, length)
            hash = (hash ^ UInt64(length)) &* 0x100_0000_01b3
            // This label's alphabet, for its payload capacity: what its bytes are, OR-ed together
            // (``ByteClass``), and how many letters and digits it has.
            var labelClasses: UInt8 = 0
            var labelLetterCount = 0, labelDigitCount = 0
            for i in start..<end {
                let b = wire[i]
                hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
                let byteClass = classes[Int(b)]
                counts[Int(slots[Int(b)])] &+= 1
                labelClasses |= byteClass
                labelLetterCount &+= Int(byteClass & ByteClass.letter)
                labelDigitCount &+= Int((byteClass & ByteClass.digit) >> 1)
            }
            seenClasses |= labelClasses
            let labelLetters = labelClasses & ByteClass.letter != 0
            let labelDigits = labelClasses & ByteClass.digit != 0
            let labelHexOnly = labelClasses & ByteClass.letterAfterF == 0
            let labelPunct = labelClasses & ByteClass.punctuation != 0
            // Whether the label has base64's extra bytes (`+`, `/`, `=`) or any other non-hostname byte.
            let labelBase64 = labelClasses & ByteClass.base64 != 0
            let labelOther = labelClasses & ByteClass.other != 0
            if (2...4).contains(length) && !labelDigits && !labelPunct && !labelOther && !labelBase64
                && Self.isCommonTLD(wire.span.extracting(start..<end))
            {
                f.embedsTLD = true
            }
            var oddness = 0.0
            if length >= 3 {
                let ll = model.averageLogLikelihood(wire.span.extracting(start..<end))
                likelihoodSum += ll * Double(length)
                likelihoodChars += length
                oddness = ramp(-ll, -readableLikelihood, -oddLikelihood)
                // Hex of 6 or more with both letters and digits is an encoding whatever its likelihood
                // (hex scores −5 to −8: `c557067cbbe8` sits at −5.4, close to readable ids).
                let hexLabel = labelHexOnly && !labelPunct && length >= 6 && labelLetterCount >= 2 && labelDigitCount >= 2
                oddChars += Double(length)
                    * (labelOther || labelBase64 || hexLabel ? 1 : ramp(-ll, -oddShareLow, -oddShareHigh))
            } else if labelOther || labelBase64 {
                oddChars += Double(length)
                likelihoodCharsForShare += length
            }
            let bitsPerByte: Double
            if labelOther {
                bitsPerByte = 8
                oddness = 1
            } else if labelBase64 {
                bitsPerByte = 6
                oddness = 1
            } else if labelLetters && labelDigits {
                bitsPerByte = labelHexOnly && !labelPunct ? 4 : 5.17
            } else if labelDigits {
                bitsPerByte = 3.32
            } else {
                bitsPerByte = 4.7
            }
            f.payloadBits += Double(length) * bitsPerByte * oddness
            index = end
        }
        // The subdomain's digits, bytes outside hostnames (base64's and others) and alphabet, from
        // the counts and classes gathered above.
        var digits = 0
        for slot in 26..<36 { digits += Int(counts[slot]) }
        for slot in 38..<57 { f.nonHostnameBytes += Int(counts[slot]) }
        let hasLetter = seenClasses & ByteClass.letter != 0
        let hexOnly = seenClasses & (ByteClass.letterAfterF | ByteClass.punctuation) == 0
        let base32Only = seenClasses & (ByteClass.digitOutside2to7 | ByteClass.punctuation) == 0
        let n = f.subdomainLength
        guard n > 0 else { return f }
        // H = log2(n) − (1/n)·Σ c·log2(c); counts never exceed 255 (a name is at most 255 bytes),
        // so c·log2(c) comes from a table.
        let dn = Double(n)
        var sum = 0.0
        let cLog2c = Self.cLog2c  // once: a static's every access goes through its lazy initialiser
        for slot in 0..<57 where counts[slot] > 1 { sum += cLog2c[Int(counts[slot])] }
        let entropy = Math.log2(dn) - sum / dn
        f.entropy = max(0, entropy)
        f.digitShare = Double(digits) / dn
        f.ngramLogLikelihood = likelihoodChars > 0 ? likelihoodSum / Double(likelihoodChars) : 0
        let shareChars = likelihoodChars + likelihoodCharsForShare
        f.oddShare = shareChars > 0 ? min(1, oddChars / Double(shareChars)) : 0
        f.informationBits = dn * entropy
        f.subdomainHash = hash
        f.ends = NameEnds(wire.span.extracting(0..<index))
        // The subdomain's hash carried on over the group's labels: the whole name's FNV-1a.
        f.nameHash = name.wireHash
        let nonHostnameInAlphabet = counts[38] + counts[39] + counts[40]
        if f.nonHostnameBytes > Int(nonHostnameInAlphabet) {
            f.shape = .binary
        } else if nonHostnameInAlphabet > 0 {
            f.shape = .base64
        } else if hexOnly && n >= 16 && digits > 0 && hasLetter {
            f.shape = .hex
        } else if n >= 16 && (base32Only || f.digitShare >= 0.2) && digits > 0 && hasLetter {
            f.shape = .base32
        }
        return f
    }
}
