import Testing

@testable import AirlockEvents

/// The one JSON escaper and number formatter every log and record writes with.
@Suite struct JSONTests {
    @Test func stringsEscapeQuotesBackslashesAndControls() {
        #expect(JSON.string("plain.example") == "\"plain.example\"")
        #expect(JSON.string("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(JSON.string("t\tn\nr\r") == "\"t\\tn\\nr\\r\"")
        #expect(JSON.string("\u{1}\u{7F}\u{2028}") == "\"\\u0001\\u007f\\u2028\"")
        #expect(JSON.string("é") == "\"é\"")
    }

    /// Alert records append into a `String`, logs into bytes: plain values take a shortcut in the
    /// first, so both must still write the same literal, escaped or not.
    @Test func stringAndByteWritersAgree() {
        for value in ["plain.example", "", "a\"b", "back\\slash", "line\nbreak", "\u{7F}", "é", "\u{2028}x"] {
            var text = "["
            JSON.appendString(value, to: &text)
            var bytes: [UInt8] = []
            JSON.appendString(value, to: &bytes)
            #expect(text == "[" + String(decoding: bytes, as: UTF8.self), "\(value.debugDescription)")
        }
        var text = ""
        JSON.appendString("a\"b", to: &text)
        #expect(text == "\"a\\\"b\"")
    }

    @Test func numbersAreWholeWhenTheyRoundToWhole() {
        #expect(JSON.number(3) == "3")
        #expect(JSON.number(-2) == "-2")
        #expect(JSON.number(0.5) == "0.5")
        #expect(JSON.number(2.99999) == "3")
        #expect(JSON.number(0.000_01) == "0")
        #expect(JSON.number(1.23456, decimals: 2) == "1.23")
        #expect(JSON.number(.nan) == "null")
        #expect(JSON.number(.infinity) == "null")
    }
}
