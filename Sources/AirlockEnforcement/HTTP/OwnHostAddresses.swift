import AirlockEvents
import AirlockPolicy

/// The addresses of the host Airlock runs on, as a destination check: a sandbox's request may not
/// reach them, whatever `allow_private_destinations` says, because every other service on the host
/// (Airlock's metrics and control ports, its DNS listener, an SSH daemon) listens on them, and a
/// public address of the host is as much the host as 127.0.0.1 (issue #11: the proxy connected to
/// its own internet-side address).
///
/// The interface addresses come from the system layer (`HostAddresses`) and are refreshed while
/// the proxy runs (sandboxes come and go with their host-side addresses); loopback and the
/// unspecified addresses (0.0.0.0/8 and ::, which the kernel delivers to the host itself) are
/// always the host's.
public struct OwnHostAddresses: Sendable, Equatable {
    /// The host's interface addresses when last listed.
    public var addresses: Set<IPAddress>

    public init(_ addresses: Set<IPAddress> = []) {
        self.addresses = addresses
    }

    /// Whether a connection to `address` would reach this host.
    public func contains(_ address: IPAddress) -> Bool {
        let plain = address.unmappedIPv4
        switch plain {
        case .v4(let value):
            if value >> 24 == 127 || value >> 24 == 0 { return true }
        case .v6(let high, let low):
            if high == 0 && (low == 0 || low == 1) { return true }
        }
        return addresses.contains(plain) || addresses.contains(address)
    }
}
