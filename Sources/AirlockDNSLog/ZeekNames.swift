/// Zeek's names for DNS numbers (`base/protocols/dns/consts.zeek`), so `qtype_name`, `qclass_name`
/// and `rcode_name` read exactly as in a Zeek `dns.log` and dashboards keyed on them keep working.
public enum ZeekNames {
    /// `query_types`, with Zeek's default `query-N` for numbers it has no name for.
    public static func qtype(_ type: UInt16) -> String {
        if let name = queryTypes[type] { return name }
        return "query-\(type)"
    }

    /// `classes`, default `qclass-N`.
    public static func qclass(_ qclass: UInt16) -> String {
        switch qclass {
        case 1: return "C_INTERNET"
        case 2: return "C_CSNET"
        case 3: return "C_CHAOS"
        case 4: return "C_HESIOD"
        case 254: return "C_NONE"
        case 255: return "C_ANY"
        default: return "qclass-\(qclass)"
        }
    }

    /// `base_errors`, default `rcode-N`.
    public static func rcode(_ rcode: UInt16) -> String {
        switch rcode {
        case 0...23: return baseErrors[Int(rcode)]
        case 3842: return "BADSIG"
        default: return "rcode-\(rcode)"
        }
    }

    private static let baseErrors = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSet",
        "NOTAUTH", "NOTZONE", "unassigned-11", "unassigned-12", "unassigned-13", "unassigned-14", "unassigned-15",
        "BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
    ]

    private static let queryTypes: [UInt16: String] = [
        1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL", 11: "WKS",
        12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN",
        21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC",
        30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6",
        39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG",
        47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP",
        56: "NINFO", 57: "RKEY", 58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC",
        63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC",
        104: "NID", 105: "L32", 106: "L64", 107: "LP", 108: "EUI48", 109: "EUI64", 249: "TKEY", 250: "TSIG",
        251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "*", 256: "URI", 257: "CAA", 32768: "TA",
        32769: "DLV", 65281: "WINS", 65282: "WINS-R", 65422: "XPF", 65521: "INTEGRITY",
    ]
}
