/// A small command-line parser: `--flag`, `--option VALUE`, `--option=VALUE`, positionals, `--` to stop.
///
/// swift-argument-parser can't be fetched here; this keeps the same shape (declare what you accept,
/// get a clear error for anything else) in a few dozen lines.
struct Arguments {
    private(set) var flags: Set<String> = []
    private(set) var options: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    /// Parses `arguments`; `valued` names options that take a value, `switches` those that don't.
    init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws(UsageError) {
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
                continue
            }
            if arg == "--" {
                onlyPositionals = true
                continue
            }
            var name = arg
            var inlineValue: String?
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inlineValue = String(arg[arg.index(after: eq)...])
            }
            if switches.contains(name) {
                guard inlineValue == nil else { throw .unexpectedValue(name) }
                flags.insert(name)
            } else if valued.contains(name) {
                if let inlineValue {
                    options[name, default: []].append(inlineValue)
                } else {
                    guard i < arguments.count else { throw .missingValue(name) }
                    options[name, default: []].append(arguments[i])
                    i += 1
                }
            } else {
                throw .unknownOption(name)
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
    func value(_ option: String) -> String? { options[option]?.last }
    func values(_ option: String) -> [String] { options[option] ?? [] }
}

/// A mistake on the command line: printed with the command's usage, exit status 64 (EX_USAGE).
enum UsageError: Error, CustomStringConvertible {
    case unknownOption(String)
    case missingValue(String)
    case unexpectedValue(String)
    case invalidValue(option: String, value: String, expected: String)
    case missingArgument(String)
    case unknownCommand(String)

    var description: String {
        switch self {
        case .unknownOption(let o): return "unknown option '\(o)'"
        case .missingValue(let o): return "option '\(o)' needs a value"
        case .unexpectedValue(let o): return "option '\(o)' takes no value"
        case .invalidValue(let o, let v, let e): return "invalid value '\(v)' for '\(o)': expected \(e)"
        case .missingArgument(let a): return "missing \(a)"
        case .unknownCommand(let c): return "unknown command '\(c)'"
        }
    }
}
