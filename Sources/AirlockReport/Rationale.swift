import AirlockEngine

/// A verdict's evidence in words, for people who don't read feature names.
public enum Rationale {
    /// One sentence per piece of evidence, largest contribution first, then the verdict's rule.
    public static func sentences(_ verdict: Verdict) -> [String] {
        verdict.evidence.map(sentence)
    }

    /// The verdict in one paragraph.
    public static func summary(_ verdict: Verdict) -> String {
        let what: String
        switch verdict.rule {
        case "dns.tunnel.campaign":
            what = "One client spread data-like names over \(max(verdict.memberCount, verdict.members.count)) domains (a campaign)"
        case "dns.tunnel.beacon":
            what = "A client checked in with this domain at regular intervals with fresh names each time (a beacon)"
        case "dns.tunnel.convicted_domain":
            what = "This domain was already convicted on another client's evidence"
        case "dns.suspicious_name":
            what = "One name alone is long and random enough to carry a payload"
        default:
            what = verdict.kind == .tunnel
                ? "Names sent to this domain carry data the way a DNS tunnel does" : "This domain looks like a data channel"
        }
        let crossed = verdict.evidence.prefix(3).map(sentence).joined(separator: " ")
        return "\(what): score \(Evidence.formatted(verdict.score)) against a threshold of "
            + "\(Evidence.formatted(verdict.threshold)). " + crossed
    }

    static func sentence(_ e: Evidence) -> String {
        let v = Evidence.formatted(e.value), t = Evidence.formatted(e.threshold)
        switch e.feature {
        case "suspicious_names": return "\(v) names that look like encoded data in the last minutes (threshold \(t))."
        case "suspicious_names_long": return "\(v) data-like names over the day (threshold \(t))."
        case "name_information_bytes": return "\(v) bytes of information carried in new names (threshold \(t))."
        case "name_information_bytes_long": return "\(v) bytes of information in names over the day (threshold \(t))."
        case "mean_information_bytes": return "Each name carries \(v) bytes of information on average (threshold \(t))."
        case "unique_names": return "\(v) distinct names (threshold \(t))."
        case "rare_type_share": return "\(pct(e.value)) of queries use record types hosts rarely ask for (TXT, NULL, MX…; threshold \(pct(e.threshold)))."
        case "nxdomain_ratio": return "\(pct(e.value)) of answers were NXDOMAIN (threshold \(pct(e.threshold)))."
        case "response_payload_bytes": return "Answers carried \(v) bytes of payload back (threshold \(t))."
        case "timing_variation": return "Queries came at machine-regular intervals (variation \(v), threshold \(t))."
        case "odd_names": return "\(v) odd names under domains the client never used before (threshold \(t))."
        case "first_contact_odd_names": return "\(v) odd names on first contact with the domain (threshold \(t))."
        case "low_ttl_share": return "\(pct(e.value)) of answers had TTLs too short to cache (threshold \(pct(e.threshold)))."
        case "campaign_domains": return "Odd names spread over \(v) domains by one client (threshold \(t))."
        case "domain_convicted": return "The domain was convicted before."
        case "beacon_intervals": return "\(v) check-ins (at least \(t))."
        case "beacon_interval_seconds": return "Every \(v) s (at least \(t) s)."
        case "beacon_skew", "beacon_dispersion": return "Intervals barely vary (\(e.feature) \(v), at most \(t))."
        case "beacon_name_length_spread": return "Names of near-constant length (spread \(v))."
        case "beacon_new_names": return "\(pct(e.value)) of check-ins used a new name (at least \(pct(e.threshold)))."
        case "entropy": return "Name entropy \(v) bits per character (threshold \(t))."
        case "ngram_log_likelihood": return "Name reads nothing like real hostnames (\(v) against \(t))."
        case "non_hostname_bytes": return "\(v) bytes no hostname contains."
        case "subdomain_length": return "\(v) bytes below the domain (threshold \(t))."
        default: return "\(e.feature) = \(v) (threshold \(t))."
        }
    }

    private static func pct(_ v: Double) -> String { "\(Int((v * 100).rounded()))%" }
}
