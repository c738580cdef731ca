import AirlockDNSProxy
import AirlockEnforcement
import AirlockPolicy

/// `airlock check-policy FILE`: validate a policy and summarise it, or list every error as FILE:LINE:COL.
enum CheckPolicyCommand {
    static let usage = """
        usage: airlock check-policy FILE

        Validates a policy file without running anything. Prints a summary of what it enforces, or every
        error as FILE:LINE:COL: message. Exit status 0 when valid, 1 when not.
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, valued: [], switches: ["--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        guard parsed.positionals.count == 1, let path = parsed.positionals.first else {
            throw UsageError.missingArgument("FILE (exactly one policy file)")
        }
        let (ok, output) = PolicyChecker.check(path: path, knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        (ok ? OutputStream.standardOutput : OutputStream.standardError).write(output)
        return ok ? 0 : 1
    }
}
