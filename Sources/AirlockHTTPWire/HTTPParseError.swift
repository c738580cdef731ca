/// Why an HTTP/1.1 message head or chunked body was refused.
///
/// Every case is a reason the parser refuses to guess. A proxy that accepts a message its upstream
/// reads differently is how request smuggling happens (two framings, a folded header, a lenient
/// chunk size), so the parser rejects instead of repairing. The raw value is a stable snake_case
/// reason for counters and logs; ``status`` is the answer a client gets.
public enum HTTPParseError: String, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The head did not end within ``HTTPLimits/maxHeadBytes``.
    case headTooLarge = "head_too_large"
    /// More header fields than ``HTTPLimits/maxHeaderCount``.
    case tooManyHeaders = "too_many_headers"
    /// A line ended in LF without CR, or a CR was not followed by LF.
    case bareLineEnding = "bare_line_ending"
    /// The request line is not `METHOD SP TARGET SP VERSION` with single spaces.
    case malformedRequestLine = "malformed_request_line"
    /// The method is not a token (or longer than 32 bytes).
    case invalidMethod = "invalid_method"
    /// The version is neither `HTTP/1.1` nor `HTTP/1.0`.
    case unsupportedVersion = "unsupported_version"
    /// The request target is longer than ``HTTPLimits/maxTargetBytes``.
    case targetTooLong = "target_too_long"
    /// The request target has bytes outside visible ASCII, a fragment, or an unparseable shape.
    case invalidTarget = "invalid_target"
    /// An absolute-form target with a scheme other than `http` (the proxy does not originate TLS).
    case unsupportedScheme = "unsupported_scheme"
    /// `user:password@host` in a target: readers disagree about which part is the host.
    case userinfoInTarget = "userinfo_in_target"
    /// The host in a target or Host header is empty or has characters a host name cannot have.
    case invalidHost = "invalid_host"
    /// The port is not a decimal number from 1 to 65535.
    case invalidPort = "invalid_port"
    /// CONNECT with a target that is not `host:port`, or `host:port` with another method.
    case targetFormMismatch = "target_form_mismatch"
    /// A header line starting with a space or tab (obs-fold, RFC 9112 §5.2).
    case obsoleteLineFolding = "obsolete_line_folding"
    /// A header name that is empty or not a token, or whitespace before the colon (RFC 9112 §5.1).
    case invalidHeaderName = "invalid_header_name"
    /// A header line without a colon.
    case missingColon = "missing_colon"
    /// A header value holding NUL, CR, LF or another control byte.
    case invalidHeaderValue = "invalid_header_value"
    /// HTTP/1.1 without a Host header, or more than one Host header.
    case missingOrDuplicateHost = "missing_or_duplicate_host"
    /// The Host header names a different authority than the absolute-form target.
    case hostMismatch = "host_mismatch"
    /// Content-Length that is not plain digits (`-4`, `+4`, `4, 4`, empty, too many digits).
    case invalidContentLength = "invalid_content_length"
    /// Content-Length given more than once (even with the same value).
    case duplicateContentLength = "duplicate_content_length"
    /// Both Content-Length and Transfer-Encoding: the classic smuggling ambiguity (RFC 9112 §6.3).
    case contentLengthWithTransferEncoding = "content_length_with_transfer_encoding"
    /// Transfer-Encoding other than exactly `chunked`, given twice, or in an HTTP/1.0 message.
    case unsupportedTransferEncoding = "unsupported_transfer_encoding"
    /// A status line that is not `HTTP/1.x SP 3DIGIT [SP reason]`.
    case malformedStatusLine = "malformed_status_line"
    /// A chunk size that is empty, not hex, too long, or followed by anything but `;ext` or CRLF.
    case invalidChunkSize = "invalid_chunk_size"
    /// Chunk data not followed by CRLF.
    case invalidChunkTerminator = "invalid_chunk_terminator"
    /// A chunk extension or trailer section longer than its limit.
    case chunkMetadataTooLarge = "chunk_metadata_too_large"
    /// A trailer field that is not `name: value`.
    case invalidTrailer = "invalid_trailer"

    /// The status code a proxy answers a client's malformed request with.
    public var status: Int {
        switch self {
        case .headTooLarge, .tooManyHeaders: return 431
        case .targetTooLong: return 414
        case .unsupportedVersion: return 505
        case .unsupportedTransferEncoding: return 501
        default: return 400
        }
    }

    public var description: String {
        switch self {
        case .headTooLarge: return "request head larger than the limit"
        case .tooManyHeaders: return "more header fields than the limit"
        case .bareLineEnding: return "line ending is not CRLF"
        case .malformedRequestLine: return "request line is not 'METHOD SP TARGET SP VERSION'"
        case .invalidMethod: return "method is not a token"
        case .unsupportedVersion: return "HTTP version is not 1.1 or 1.0"
        case .targetTooLong: return "request target longer than the limit"
        case .invalidTarget: return "request target is malformed"
        case .unsupportedScheme: return "only http:// targets are proxied (use CONNECT for https)"
        case .userinfoInTarget: return "user information ('user@host') in the target is refused"
        case .invalidHost: return "host is empty or holds characters a host name cannot have"
        case .invalidPort: return "port is not a number from 1 to 65535"
        case .targetFormMismatch: return "CONNECT needs 'host:port', and only CONNECT may use it"
        case .obsoleteLineFolding: return "header line folding (obs-fold) is refused"
        case .invalidHeaderName: return "header name is not a token or has whitespace before the colon"
        case .missingColon: return "header line without a colon"
        case .invalidHeaderValue: return "header value holds control characters"
        case .missingOrDuplicateHost: return "HTTP/1.1 request needs exactly one Host header"
        case .hostMismatch: return "Host header differs from the target's authority"
        case .invalidContentLength: return "Content-Length is not a plain decimal number"
        case .duplicateContentLength: return "Content-Length given more than once"
        case .contentLengthWithTransferEncoding: return "both Content-Length and Transfer-Encoding"
        case .unsupportedTransferEncoding: return "Transfer-Encoding other than a single 'chunked' (or in HTTP/1.0)"
        case .malformedStatusLine: return "status line is not 'HTTP/1.x SP CODE [SP REASON]'"
        case .invalidChunkSize: return "chunk size is not a bounded hexadecimal number"
        case .invalidChunkTerminator: return "chunk data not followed by CRLF"
        case .chunkMetadataTooLarge: return "chunk extension or trailers larger than the limit"
        case .invalidTrailer: return "trailer field is malformed"
        }
    }
}
