#if canImport(Glibc)
    import Glibc
#endif

/// AIRLOCK_FUZZ_VERBOSE=1 makes a harness print what the code made of each input: how a seed is
/// checked to reach the code it was written for (run the harness binary on the seed file).
let fuzzVerbose = getenv("AIRLOCK_FUZZ_VERBOSE") != nil

/// Prints to stderr, unbuffered: the line must survive the crash that may follow.
func note(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// The fuzzer's bytes, and a cursor that hands them out piece by piece so one input can describe a
/// structured case (several packets, several messages, a choice of configuration).
///
/// Every read is total: past the end, numbers read as zero and byte runs come back short. The fuzzer
/// then explores short inputs without the harness wasting them on length checks.
struct FuzzInput {
    let bytes: [UInt8]
    private(set) var position = 0

    /// Copies the fuzzer's buffer: an array of exactly `size` bytes, so a read past the input traps
    /// in Swift's bounds check rather than reading libFuzzer's memory.
    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }

    /// Up to `count` bytes.
    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + max(0, count))
        defer { position = end }
        return Array(bytes[position..<end])
    }

    mutating func rest() -> [UInt8] { take(remaining) }

    /// A run prefixed by its 2-byte big-endian length (shorter when the input ends first).
    mutating func chunk() -> [UInt8] { take(Int(u16())) }
}

/// An invariant the code under test promised: breaking it is a bug, so the harness crashes for
/// libFuzzer to keep the input.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError("invariant broken: \(message())", file: file, line: line) }
}

/// Hex for failure messages.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
