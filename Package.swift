// swift-tools-version:6.2
// Airlock: egress and DNS-tunnel detection proxy for sandboxed AI-agent runtimes. Linux only: the
// system layer is epoll, recvmmsg/sendmmsg, eventfd and getrandom.
//
// The module graph, in layers. A module imports from its own layer or below, never above, and no
// server imports another server (Tests/AirlockModuleGraphTests checks the import lines):
//
//   root         airlock (CLI): builds the servers and joins them; hands the HTTP proxy the DNS
//                core's NameResolver and both proxies' decision logs the alert pipeline
//   servers      AirlockDNSProxy  AirlockHTTPProxy  AirlockAlerts  AirlockReplay (→ AirlockReport)
//                AirlockFleet (Redis; reaches the DNS enforcer through AirlockEnforcement's FleetPeer)
//   I/O          AirlockSystem (sockets, epoll, threads, files; SystemError)  AirlockTLSClient  AirlockCapture
//   enforcement  AirlockEnforcement (pure: verdict → action, DNS/HTTP decision records, PolicySnapshot)
//   detection    AirlockPipeline (message → event → engine)  AirlockPolicy  AirlockDNSLog
//   engine       AirlockEngine (features → score → verdict)
//   parsers      AirlockPackets  AirlockDNSWire  AirlockLDNS  AirlockHTTPWire  AirlockTLSWire  AirlockDnstap
//                AirlockNames
//   values       AirlockEvents (addresses, names, events, HostPort, JSON, Base64)  AirlockDigest
//
// The detection flow runs up through it: AirlockCapture (libpcap) → AirlockPackets → AirlockDNSWire
// → AirlockPipeline → AirlockEngine → a verdict that AirlockEnforcement turns into an action and a
// decision record, which a proxy carries out, replay reports and the alerts deliver.
// C libraries enter through one small wrapper module each (AirlockCapture, AirlockLDNS, AirlockNames,
// AirlockPolicy, AirlockTLSClient, AirlockSystem); the modules in `safeModules` are pure Swift built
// with strict memory safety.
import PackageDescription

/// Modules that must never touch an unsafe pointer: the compiler checks it for them.
let safeModules: Set<String> = [
    "AirlockEvents", "AirlockPackets", "AirlockDNSWire", "AirlockTLSWire", "AirlockEngine", "AirlockPipeline",
    "AirlockDigest", "AirlockHTTPWire", "AirlockEnforcement", "AirlockDNSLog", "AirlockReport", "AirlockDnstap",
]

var targets: [Target] = [
    // C boundaries: a modulemap and a one-line shim each.
    .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
    .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
    .systemLibrary(name: "CPSL", pkgConfig: "libpsl", providers: [.apt(["libpsl-dev"])]),
    .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // SHA-256 and HMAC-SHA256: policy versions, alert ids, sandbox tokens. Pure Swift.
    .target(name: "AirlockDigest"),
    // Value types every stage shares: addresses, endpoints, names, timestamps, DNS events.
    .target(name: "AirlockEvents"),
    // Stage 1: packets. Link layers, IPv4/IPv6, fragments, UDP, TCP stream reassembly. Pure Swift.
    .target(name: "AirlockPackets", dependencies: ["AirlockEvents"]),
    // Stage 2: DNS wire format. Zero-copy reader for the hot fields. Pure Swift.
    .target(name: "AirlockDNSWire", dependencies: ["AirlockEvents"]),
    // HTTP/1.1 message heads and chunked framing for the egress proxy: strict, bounded, no I/O. Pure Swift.
    .target(name: "AirlockHTTPWire"),
    // TLS ClientHello (SNI) parsing for bypass detection and CONNECT checks. Pure Swift.
    .target(name: "AirlockTLSWire"),
    // The full DNS codec from libldns: the reference parser and the cross-check of the fast path.
    .target(name: "AirlockLDNS", dependencies: ["CLDNS", "AirlockDNSWire", "AirlockEvents"]),
    // Registered domains (eTLD+1) from libpsl.
    .target(name: "AirlockNames", dependencies: ["CPSL", "AirlockEvents"]),
    // Stages 3–5: features → score → verdict with rationale. No I/O, no C.
    .target(name: "AirlockEngine", dependencies: ["AirlockEvents"]),
    // Message → event → engine, shared by replay and the live proxies.
    .target(
        name: "AirlockPipeline",
        dependencies: [
            "AirlockEvents", "AirlockDNSWire", "AirlockEngine", "AirlockTLSWire", "AirlockNames",
        ]),
    // The policy file (YAML through libyaml): lists, sandboxes, modes, thresholds, budgets.
    .target(
        name: "AirlockPolicy", dependencies: ["CYAML", "AirlockEvents", "AirlockEngine", "AirlockDigest"],
        exclude: ["README.md"]),
    // Verdict → enforcement, pure (no clocks, no I/O): DNS quarantine, leak budgets and rebinding checks,
    // the HTTP egress guard and ledger, the DNS and HTTP decision records and their JSON-lines formats,
    // and the policy snapshot the proxies work from. Shared by the live proxies and replay.
    .target(
        name: "AirlockEnforcement",
        dependencies: [
            "AirlockEvents", "AirlockEngine", "AirlockPolicy", "AirlockDNSWire", "AirlockHTTPWire", "AirlockTLSWire",
            "AirlockPipeline",
        ]),
    // Decisions → alerts: one event model, OCSF/EVE records, aggregation, sinks with a durable spool,
    // Prometheus metrics. Does I/O (files, sockets, threads), so it sits outside the pure set.
    .target(
        name: "AirlockAlerts",
        dependencies: [
            "AirlockEvents", "AirlockEngine", "AirlockEnforcement", "AirlockPolicy", "AirlockDigest", "AirlockTLSClient",
            "AirlockSystem",
        ],
        exclude: ["README.md"]),
    // Client TLS over a connected socket (OpenSSL): verified HTTPS for the webhook sink.
    .target(name: "AirlockTLSClient", dependencies: ["COpenSSL"]),
    // Capture files through libpcap; gzip-compressed files and standard input inflated by zlib.
    .target(name: "AirlockCapture", dependencies: ["CPcap", "CZlib", "AirlockEvents"]),
    // Zeek-style dns.log: queries joined with responses, Zeek's fields and names, Airlock's verdict. Pure.
    .target(name: "AirlockDNSLog", dependencies: ["AirlockEvents", "AirlockDNSWire", "AirlockEngine"]),
    // dnstap input: Frame Streams framing and the dnstap protobuf, decoded by hand (no I/O). Pure.
    .target(name: "AirlockDnstap", dependencies: ["AirlockEvents"]),
    // Offline replay: capture → packets → pipeline → report.
    .target(
        name: "AirlockReplay",
        dependencies: [
            "AirlockCapture", "AirlockPackets", "AirlockPipeline", "AirlockNames", "AirlockLDNS", "AirlockEngine",
            "AirlockPolicy", "AirlockEnforcement", "AirlockDNSLog", "AirlockDnstap",
        ]),
    // The analyst's HTML report: a replay's verdicts, timelines and tallies as one self-contained page. Pure.
    .target(name: "AirlockReport", dependencies: ["AirlockReplay", "AirlockEngine", "AirlockEvents"]),
    // Linux calls Glibc does not expose (recvmmsg/sendmmsg, epoll, eventfd, getrandom): the system layer's only C.
    .target(name: "CAirlockSys"),
    // The system layer (Linux I/O): sockets, the epoll reactor, datagram batches, threads, signals,
    // clocks, random IDs, blocking sockets and files for the alert sinks, the JSON-lines writer, and
    // the one error type (`SystemError`) every system call failure becomes.
    .target(name: "AirlockSystem", dependencies: ["CAirlockSys", "AirlockEvents"]),
    // The live DNS proxy: a pure core (query bytes + client + time → action), the policy enforcer shared
    // with replay, the decision log, and the socket server around them.
    .target(
        name: "AirlockDNSProxy",
        dependencies: [
            "AirlockSystem", "AirlockDNSWire", "AirlockPipeline", "AirlockPolicy", "AirlockEngine", "AirlockEvents",
            "AirlockNames", "AirlockEnforcement",
        ],
        exclude: ["README.md"]),
    // The HTTP egress proxy: forward and CONNECT, policy and bypass checks, budgets, tokens; a pure
    // connection state machine and the epoll server around it. Resolves through a NameResolver the
    // CLI fills with the DNS core's resolver.
    .target(
        name: "AirlockHTTPProxy",
        dependencies: [
            "AirlockSystem", "AirlockHTTPWire", "AirlockDNSWire", "AirlockTLSWire", "AirlockPolicy",
            "AirlockEngine", "AirlockEvents", "AirlockNames", "AirlockDigest", "AirlockEnforcement",
        ],
        exclude: ["README.md"]),
    // Fleet mode: convictions and leak budgets shared through Redis. A pure core (RESP codec and a
    // sync state machine: times, batches and reply bytes in, actions out) and one thread around it
    // that talks to Redis; it reaches the enforcer only through AirlockEnforcement's FleetPeer.
    .target(
        name: "AirlockFleet",
        dependencies: ["AirlockEnforcement", "AirlockEvents", "AirlockPolicy", "AirlockSystem", "AirlockTLSClient"],
        exclude: ["README.md"]),
    .executableTarget(
        name: "airlock",
        dependencies: [
            "AirlockReplay", "AirlockEngine", "AirlockPipeline", "AirlockNames", "AirlockLDNS", "AirlockPolicy",
            "AirlockDNSProxy", "AirlockAlerts", "AirlockHTTPProxy", "AirlockSystem", "AirlockEnforcement",
            "AirlockDNSLog", "AirlockReport", "AirlockCapture", "AirlockFleet",
        ],
        path: "Sources/AirlockCLI"),

    // What the test suites share: the one seeded random generator, hand-built packets, a condition wait.
    .target(name: "AirlockTestSupport", path: "Tests/AirlockTestSupport"),
    .testTarget(
        name: "AirlockPacketsTests", dependencies: ["AirlockPackets", "AirlockEvents", "AirlockCapture", "AirlockTestSupport"]),
    .testTarget(
        name: "AirlockDNSWireTests", dependencies: ["AirlockDNSWire", "AirlockLDNS", "AirlockEvents", "AirlockTestSupport"],
        exclude: ["Fixtures"]),
    .testTarget(name: "AirlockTLSWireTests", dependencies: ["AirlockTLSWire", "AirlockTestSupport"]),
    .testTarget(name: "AirlockHTTPWireTests", dependencies: ["AirlockHTTPWire", "AirlockTestSupport"]),
    // Root only (skips otherwise): Tests/Integration/http-bypass.sh against the built binary.
    .testTarget(name: "AirlockHTTPProxyIntegrationTests", dependencies: ["airlock", "AirlockTestSupport"]),
    // Deploy/: systemd unit, policies, sandbox rules, Kubernetes, Containerfile (validated with the tools here).
    .testTarget(name: "AirlockDeployTests", dependencies: ["airlock", "AirlockTestSupport"]),
    .testTarget(
        name: "AirlockHTTPProxyTests",
        dependencies: [
            "AirlockHTTPProxy", "AirlockHTTPWire", "AirlockDNSProxy", "AirlockPolicy", "AirlockEngine", "AirlockEvents",
            "AirlockTLSWire", "AirlockDigest", "AirlockSystem", "AirlockEnforcement", "AirlockTestSupport",
        ]),
    .testTarget(
        name: "AirlockEngineTests", dependencies: ["AirlockEngine", "AirlockEvents", "AirlockTestSupport"],
        exclude: ["Fixtures"]),
    .testTarget(name: "AirlockNamesTests", dependencies: ["AirlockNames", "AirlockEvents", "AirlockTestSupport"]),
    .testTarget(
        name: "AirlockReplayTests",
        dependencies: [
            "AirlockReplay", "AirlockPipeline", "AirlockEngine", "AirlockEvents", "AirlockNames", "AirlockTestSupport",
        ]),
    .testTarget(
        name: "AirlockPolicyTests", dependencies: ["AirlockPolicy", "AirlockEvents", "AirlockDigest", "AirlockTestSupport"],
        exclude: ["testdata"]),
    .testTarget(name: "AirlockDigestTests", dependencies: ["AirlockDigest"]),
    .testTarget(name: "AirlockEventsTests", dependencies: ["AirlockEvents"]),
    .testTarget(
        name: "AirlockAlertsTests",
        dependencies: [
            "AirlockDigest",
            "AirlockAlerts", "AirlockEngine", "AirlockEvents", "AirlockDNSProxy", "AirlockDNSWire", "AirlockPipeline",
            "AirlockPolicy", "AirlockTLSClient", "AirlockSystem", "AirlockEnforcement", "AirlockTestSupport",
        ], exclude: ["Fixtures"]),
    .testTarget(name: "AirlockCLITests", dependencies: ["airlock", "AirlockTestSupport"]),
    // Chromium renders the report when it is installed; skips otherwise.
    .testTarget(name: "AirlockReportTests", dependencies: ["AirlockReport", "AirlockReplay", "airlock", "AirlockTestSupport"]),
    // Frame Streams and dnstap decoding; a real Unbound with dnstap on loopback (skips without it).
    .testTarget(name: "AirlockDnstapTests", dependencies: ["AirlockDnstap", "AirlockEvents", "airlock", "AirlockTestSupport"]),
    .testTarget(
        name: "AirlockDNSLogTests",
        dependencies: ["AirlockDNSLog", "AirlockDNSWire", "AirlockEvents", "AirlockEngine", "airlock", "AirlockTestSupport"],
        exclude: ["Fixtures"]),
    .testTarget(
        name: "AirlockDNSProxyTests",
        dependencies: [
            "AirlockDNSProxy", "AirlockDNSWire", "AirlockPolicy", "AirlockEngine", "AirlockEvents", "AirlockSystem",
            "AirlockEnforcement",
        ]),
    // The layers above hold: no server imports another, the alerts know no producer, enforcement does no I/O.
    .testTarget(name: "AirlockModuleGraphTests", dependencies: ["AirlockTestSupport"]),
    // The fleet core without sockets: RESP decoding, the sync state machine, conviction entries.
    .testTarget(
        name: "AirlockFleetTests",
        dependencies: ["AirlockFleet", "AirlockEnforcement", "AirlockEvents", "AirlockPolicy", "AirlockTestSupport"]),
    // Real NSD, dig/kdig, iodine and dns2tcp around the built `airlock serve`; skips without root or tools.
    .testTarget(name: "AirlockDNSProxyIntegrationTests", dependencies: ["airlock", "AirlockTestSupport"]),
]

for index in targets.indices where targets[index].type != .system {
    var settings = targets[index].swiftSettings ?? []
    settings.append(.treatAllWarnings(as: .error))
    if safeModules.contains(targets[index].name) {
        settings.append(.strictMemorySafety())
        // The standard library's rounding and square root call libm; pure modules import no Glibc to pull it in.
        targets[index].linkerSettings = (targets[index].linkerSettings ?? []) + [.linkedLibrary("m")]
    }
    targets[index].swiftSettings = settings
}

let package = Package(
    name: "Airlock",
    products: [
        .executable(name: "airlock", targets: ["airlock"])
    ],
    targets: targets
)
