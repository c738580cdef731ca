/// An address and port: one end of a UDP exchange or TCP connection.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.1:53` or `[2001:db8::1]:53`.
    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}

/// How a DNS message travelled.
public enum Transport: String, Hashable, Sendable {
    case udp
    case tcp
}
