/// Bounds on what the parsers accept, so a client can make the proxy hold only so much before it
/// decides. Defaults follow common servers (nginx: 8 KiB lines, ~100 headers; Node: 16 KiB head).
public struct HTTPLimits: Sendable, Hashable {
    /// Request or status line plus header fields plus the blank line.
    public var maxHeadBytes: Int = 16_384
    /// Header fields in one head (and trailer fields in one chunked body).
    public var maxHeaderCount: Int = 100
    /// The request target alone.
    public var maxTargetBytes: Int = 8_192
    /// Hex digits in a chunk size: 15 keeps sizes below 2^60, far past any real chunk.
    public var maxChunkSizeDigits: Int = 15
    /// Bytes of chunk extensions on one chunk-size line.
    public var maxChunkExtensionBytes: Int = 1_024
    /// Bytes of the trailer section after the last chunk.
    public var maxTrailerBytes: Int = 8_192

    public init() {}

    public static let `default` = HTTPLimits()
}
