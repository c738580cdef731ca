import AirlockEngine
import AirlockEvents

/// Inline SVG charts: a fixed number of elements per chart, whatever the data size.
enum Charts {
    /// Record-type colours (Tableau 10): the same type is the same colour in every chart.
    static func colour(_ qtype: UInt16) -> String {
        switch qtype {
        case DNSRecordType.a: return "#4e79a7"
        case DNSRecordType.aaaa: return "#59a14f"
        case DNSRecordType.txt: return "#e15759"
        case DNSRecordType.null: return "#b07aa1"
        case DNSRecordType.cname: return "#f28e2b"
        case DNSRecordType.mx: return "#edc948"
        case DNSRecordType.srv: return "#76b7b2"
        case DNSRecordType.https, DNSRecordType.svcb: return "#9c755f"
        case DNSRecordType.ptr: return "#bab0ac"
        default: return "#ff9da7"
        }
    }

    static let width = 960.0
    static let height = 240.0
    static let left = 56.0
    static let right = 16.0
    static let top = 16.0
    static let bottom = 34.0

    /// Time × information per name, one path of dots per record type, the alert (and block) marked.
    static func timeline(_ t: Timeline, alert: Timestamp, block: Timestamp?, into h: inout HTML) {
        let plotW = width - left - right, plotH = height - top - bottom
        let cellW = plotW / Double(Timeline.columns), cellH = plotH / Double(Timeline.rows)
        h.raw(
            "<svg class=\"timeline\" viewBox=\"0 0 \(HTML.n(width)) \(HTML.n(height))\" role=\"img\" "
                + "aria-label=\"queries over time by information per name\">")
        h.raw("<rect x=\"\(HTML.n(left))\" y=\"\(HTML.n(top))\" width=\"\(HTML.n(plotW))\" height=\"\(HTML.n(plotH))\" class=\"plot\"/>")
        // Y axis: bytes of information per name.
        for step in 0...4 {
            let value = (t.maxInformation * Double(step) / 4).rounded()
            let y = top + plotH - plotH * Double(step) / 4
            h.raw("<line x1=\"\(HTML.n(left))\" x2=\"\(HTML.n(width - right))\" y1=\"\(HTML.n(y))\" y2=\"\(HTML.n(y))\" class=\"grid\"/>")
            h.raw("<text x=\"\(HTML.n(left - 6))\" y=\"\(HTML.n(y + 4))\" class=\"tick\" text-anchor=\"end\">\(HTML.n(value))</text>")
        }
        h.raw("<text x=\"12\" y=\"\(HTML.n(top + plotH / 2))\" class=\"axis\" transform=\"rotate(-90 12 \(HTML.n(top + plotH / 2)))\" text-anchor=\"middle\">bytes of information per name</text>")
        // X axis: five time labels.
        let span = t.end.seconds(since: t.start)
        for step in 0...4 {
            let x = left + plotW * Double(step) / 4
            let time = Timestamp(nanoseconds: t.start.nanoseconds + Int64(span * 1e9 * Double(step) / 4))
            let anchor = step == 0 ? "start" : step == 4 ? "end" : "middle"
            h.raw("<text x=\"\(HTML.n(x))\" y=\"\(HTML.n(height - 12))\" class=\"tick\" text-anchor=\"\(anchor)\">")
            h.escaped(clock(time, span: span))
            h.raw("</text>")
        }
        // Dots: one path per record type ("M x y h0" draws a round dot with a round line cap).
        for qtype in t.cells.keys.sorted() {
            var d = ""
            for cell in t.cells[qtype]!.sorted() {
                let x = left + (Double(cell % Timeline.columns) + 0.5) * cellW
                let y = top + plotH - (Double(cell / Timeline.columns) + 0.5) * cellH
                d += "M\(HTML.n(x)) \(HTML.n(y))h0"
            }
            h.raw("<path d=\"\(d)\" stroke=\"\(colour(qtype))\" class=\"dots\"><title>")
            h.escaped("\(DNSRecordType.name(qtype)): \(HTML.count(t.counts[qtype] ?? 0)) queries")
            h.raw("</title></path>")
        }
        marker(t, alert, label: "alert", cls: "alert", row: 0, plotW: plotW, plotH: plotH, into: &h)
        if let block { marker(t, block, label: "blocked", cls: "block", row: 1, plotW: plotW, plotH: plotH, into: &h) }
        h.raw("</svg>")
        // Legend.
        h.raw("<p class=\"legend\">")
        for qtype in t.counts.keys.sorted(by: { (t.counts[$0]!, $1) > (t.counts[$1]!, $0) }) {
            h.raw("<span><i style=\"background:\(colour(qtype))\"></i>")
            h.escaped("\(DNSRecordType.name(qtype)) \(HTML.count(t.counts[qtype]!))")
            h.raw("</span>")
        }
        h.raw("<span><i class=\"alert-key\"></i>first alert</span>")
        if block != nil { h.raw("<span><i class=\"block-key\"></i>policy block</span>") }
        h.raw("</p>")
    }

    private static func marker(
        _ t: Timeline, _ time: Timestamp, label: String, cls: String, row: Int, plotW: Double, plotH: Double,
        into h: inout HTML
    ) {
        let span = max(t.end.seconds(since: t.start), 1e-9)
        let x = left + plotW * min(1, max(0, time.seconds(since: t.start) / span))
        h.raw("<line x1=\"\(HTML.n(x))\" x2=\"\(HTML.n(x))\" y1=\"\(HTML.n(top))\" y2=\"\(HTML.n(top + plotH))\" class=\"\(cls)\"/>")
        let anchor = x > width - 120 ? "end" : "start"
        let dx = anchor == "end" ? -4.0 : 4.0
        h.raw("<text x=\"\(HTML.n(x + dx))\" y=\"\(HTML.n(top + 12 + 14 * Double(row)))\" class=\"\(cls)-label\" text-anchor=\"\(anchor)\">\(label)</text>")
    }

    /// Features against thresholds: a bar per feature (value ÷ threshold), the threshold at 1×.
    static func features(_ evidence: [Evidence], into h: inout HTML) {
        let rows = evidence.filter { $0.threshold > 0 }
        guard !rows.isEmpty else { return }
        let rowH = 26.0, labelW = 230.0, barW = 520.0, w = 960.0
        let hgt = Double(rows.count) * rowH + 24
        let maxRatio = 3.0
        h.raw("<svg class=\"features\" viewBox=\"0 0 \(HTML.n(w)) \(HTML.n(hgt))\" role=\"img\" aria-label=\"features against thresholds\">")
        let x1 = labelW + barW / maxRatio
        h.raw("<line x1=\"\(HTML.n(x1))\" x2=\"\(HTML.n(x1))\" y1=\"0\" y2=\"\(HTML.n(hgt - 18))\" class=\"threshold\"/>")
        h.raw("<text x=\"\(HTML.n(x1))\" y=\"\(HTML.n(hgt - 4))\" class=\"tick\" text-anchor=\"middle\">threshold</text>")
        for (i, e) in rows.enumerated() {
            let y = Double(i) * rowH
            let ratio = min(maxRatio, max(0, e.value / e.threshold))
            h.raw("<text x=\"\(HTML.n(labelW - 8))\" y=\"\(HTML.n(y + 17))\" class=\"flabel\" text-anchor=\"end\">")
            h.escaped(e.feature)
            h.raw("</text><rect x=\"\(HTML.n(labelW))\" y=\"\(HTML.n(y + 5))\" width=\"\(HTML.n(barW * ratio / maxRatio))\" height=\"16\" class=\"bar\"/>")
            h.raw("<text x=\"\(HTML.n(labelW + barW + 8))\" y=\"\(HTML.n(y + 17))\" class=\"fvalue\">")
            h.escaped("\(Evidence.formatted(e.value)) vs \(Evidence.formatted(e.threshold)) (+\(Evidence.formatted(e.contribution)))")
            h.raw("</text>")
        }
        h.raw("</svg>")
    }

    /// `HH:MM:SS` (UTC) for spans within a day, else the date too.
    static func clock(_ t: Timestamp, span: Double) -> String {
        let text = t.description  // RFC 3339, e.g. 2026-12-02T18:41:46.123456Z
        guard text.count >= 19 else { return text }
        let chars = Array(text)
        return span < 86_400 ? String(chars[11..<19]) : String(chars[5..<16].map { $0 == "T" ? " " : $0 })
    }
}
