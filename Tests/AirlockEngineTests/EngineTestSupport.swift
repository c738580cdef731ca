import AirlockEngine
import AirlockEvents

/// Builds query events for engine tests without any parsing.
struct QueryFactory {
    var time = Timestamp(seconds: 1_700_000_000)
    var id: UInt16 = 0
    var client = Endpoint(address: .v4(0xC612_0102), port: 40000)
    let server = Endpoint(address: .v4(0xC612_0001), port: 53)

    /// A query for `name` grouped under its last `groupLabels` labels.
    mutating func query(_ name: String, groupLabels: Int = 2, type: UInt16 = DNSRecordType.a, gap: Double = 0.2)
        -> DNSQueryEvent
    {
        time = Timestamp(nanoseconds: time.nanoseconds + Int64(gap * 1e9))
        id &+= 1
        let parsed = DNSName(name)!
        let domain = DomainKey(
            value: parsed.suffix(labels: groupLabels).description, kind: .registeredDomain, labelCount: groupLabels)
        return DNSQueryEvent(
            time: time, client: client, server: server, transport: .udp, id: id, name: parsed, qtype: type,
            domain: domain)
    }
}

let base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"
let hexAlphabet = "0123456789abcdef"
