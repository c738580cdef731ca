import AirlockPolicy
import Foundation

extension ConfigNode {
    /// The policy module's YAML tree as a configuration tree (same subset: no anchors, aliases or
    /// tags; every node keeps its `file:line:column`).
    public init(_ yaml: YAMLNode) {
        let location = yaml.location.description
        switch yaml.content {
        case .scalar(let scalar): self = .scalar(scalar.isNull ? "" : scalar.text, location: location)
        case .sequence(let items): self = .list(items.map(ConfigNode.init), location: location)
        case .mapping(let entries):
            self = .map(
                entries.map { ConfigEntry($0.key, ConfigNode($0.value), location: $0.keyLocation.description) },
                location: location)
        }
    }
}

extension AlertingConfiguration {
    /// Loads the `alerts:` section of a serve configuration file (YAML, read with the policy
    /// module's loader). The file's other top-level keys belong to other components and are left
    /// alone; a file without `alerts:` is an error, since asking for alerts and getting none would
    /// be silent.
    public static func load(path: String) throws(AlertingConfigurationErrors) -> AlertingConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlertingConfigurationErrors(errors: [
                AlertingConfigurationError(setting: "alerts", message: "cannot read \(path)", location: path)
            ])
        }
        let yaml: YAMLNode
        do { yaml = try YAMLLoader.load(bytes: Array(data), file: path) } catch {
            throw AlertingConfigurationErrors(
                errors: error.diagnostics.map { AlertingConfigurationError(setting: "yaml", message: $0.description) })
        }
        guard case .mapping(let entries) = yaml.content, let section = entries.first(where: { $0.key == "alerts" }) else {
            throw AlertingConfigurationErrors(errors: [
                AlertingConfigurationError(
                    setting: "alerts", message: "no top-level 'alerts:' mapping", location: yaml.location.description)
            ])
        }
        return try decode(ConfigNode(section.value))
    }
}
