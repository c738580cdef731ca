#if canImport(Glibc)
    import Glibc
#endif

/// `airlock`: egress and DNS-tunnel detection proxy for sandboxed AI-agent runtimes.
let usage = """
    usage: airlock COMMAND [options]

    commands:
      replay FILE...        run the detection engine over pcap/pcapng captures
      report FILE... -o OUT.html
                            one self-contained HTML page: what was flagged, timelines, why, per client
      watch -i IFACE | --dnstap unix:PATH|FILE
                            watch live traffic passively (libpcap, or a resolver's dnstap)
      explain NAME...       show how the engine scores a name, feature by feature
      serve --policy FILE   run the DNS proxy: inspect, enforce the policy, forward
      check-policy FILE     validate a policy file and summarise it
      http-proxy --policy FILE --listen ADDR:PORT
                            run the HTTP egress proxy alone (serve --http-listen runs both)
      token --sandbox NAME --ttl SECONDS --key-file FILE
                            mint a short-lived proxy token for one agent session
      version               print the version

    Run 'airlock COMMAND --help' for a command's options.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
do {
    switch arguments.first {
    case "replay": status = try ReplayCommand.run(Array(arguments.dropFirst()))
    case "report": status = try ReportCommand.run(Array(arguments.dropFirst()))
    case "watch": status = try WatchCommand.run(Array(arguments.dropFirst()))
    case "explain": status = try ExplainCommand.run(Array(arguments.dropFirst()))
    case "serve": status = try ServeCommand.run(Array(arguments.dropFirst()))
    case "check-policy": status = try CheckPolicyCommand.run(Array(arguments.dropFirst()))
    case "http-proxy": status = try HTTPProxyCommand.run(Array(arguments.dropFirst()))
    case "token": status = try TokenCommand.run(Array(arguments.dropFirst()))
    case "nft-feeder": status = try NFTFeederCommand.run(Array(arguments.dropFirst()))
    case "version", "--version": OutputStream.standardOutput.line("airlock 0.1.0"); status = 0
    case "help", "--help", "-h", nil: OutputStream.standardOutput.line(usage); status = arguments.isEmpty ? 64 : 0
    case let other?: throw UsageError.unknownCommand(other)
    }
} catch let error as UsageError {
    // A mistake in a command's options gets that command's usage; only an unknown command gets the list.
    let commandUsage: [String: String] = [
        "replay": ReplayCommand.usage, "report": ReportCommand.usage, "explain": ExplainCommand.usage,
        "serve": ServeCommand.usage, "check-policy": CheckPolicyCommand.usage, "http-proxy": HTTPProxyCommand.usage,
        "token": TokenCommand.usage,
    ]
    let command = arguments.first ?? ""
    if let specific = commandUsage[command] {
        OutputStream.standardError.line("airlock \(command): \(error)\n\n\(specific)")
    } else {
        OutputStream.standardError.line("airlock: \(error)\n\n\(usage)")
    }
    status = 64
} catch {
    OutputStream.standardError.line("airlock: \(error)")
    status = 1
}
exit(status)
