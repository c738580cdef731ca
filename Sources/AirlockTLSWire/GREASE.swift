/// GREASE (RFC 8701): reserved values clients sprinkle into cipher suites, extensions, versions and
/// ALPN so servers stay tolerant of unknown values. They carry no meaning, so the parser drops them
/// from the lists it reports and only remembers that they were there.
public enum GREASE {
    /// 0x0A0A, 0x1A1A, …, 0xFAFA: both bytes equal, low nibble of each 0xA.
    @inlinable
    public static func isGREASE(_ value: UInt16) -> Bool {
        value & 0x0F0F == 0x0A0A && value >> 8 == value & 0xFF
    }
}
