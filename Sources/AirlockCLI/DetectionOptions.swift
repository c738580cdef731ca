import AirlockEnforcement
import AirlockEngine
import AirlockPolicy
import AirlockReplay

extension ReplayOptions {
    /// What `replay`, `report` and `watch` read alike: `--policy FILE` (the policy applied to the
    /// traffic, its detection settings and `dns.local_zones`), `--local-zone NAME` (where the command
    /// accepts it) and `--set KEY=NUMBER`. False when the policy was refused: its errors are then on
    /// standard error, after `airlock COMMAND: policy refused:`.
    mutating func applyPolicyAndSettings(_ parsed: Arguments, command: String) throws(UsageError) -> Bool {
        if let path = parsed.value("--policy") {
            do {
                let policy = try PolicyLoader.load(path: path, knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
                self.policy = policy
                configuration = PolicySnapshot.detection(for: policy)
                localZones = LocalZones.defaults(adding: policy.localZones)
            } catch {
                OutputStream.standardError.line(
                    "airlock \(command): policy refused:\n" + error.diagnostics.map(\.description).joined(separator: "\n"))
                return false
            }
        }
        let zones = parsed.values("--local-zone")
        if !zones.isEmpty {
            var names: [String] = []
            for zone in zones {
                guard case .success(let pattern) = HostPattern.parse(zone) else {
                    throw UsageError.invalidValue(option: "--local-zone", value: zone, expected: "a domain name")
                }
                names.append(pattern.base.description)
            }
            localZones = LocalZones.defaults(adding: (policy?.localZones ?? []) + names)
        }
        var overrides: [String: Double] = [:]
        for setting in parsed.values("--set") {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw UsageError.invalidValue(option: "--set", value: setting, expected: "KEY=NUMBER")
            }
            overrides[parts[0]] = value
        }
        if let key = configuration.apply(overrides: overrides).first {
            throw UsageError.invalidValue(
                option: "--set", value: key,
                expected: "one of " + DetectionConfiguration.tunableKeys.keys.sorted().joined(separator: ", "))
        }
        return true
    }
}
