/// Where something was written in a policy file: 1-based line and column, as editors count them.
///
/// Every YAML node and every rule keeps one, so an error, a warning or a logged decision can point
/// at the exact line an operator has to look at (`policy.yaml:12:5`).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file name as it was given to the loader (a path, or a name for text loaded from memory).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in characters.
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The whole file rather than a place in it (line and column 0): for errors such as "cannot read".
    public static func wholeFile(_ file: String) -> SourceLocation {
        SourceLocation(file: file, line: 0, column: 0)
    }

    /// `FILE:LINE:COL`, the form compilers use, so editors and terminals can jump to it (`FILE` alone
    /// for a whole-file location).
    public var description: String { line == 0 ? file : "\(file):\(line):\(column)" }

    /// `LINE:COL` without the file, for references inside a message about the same file.
    public var shortDescription: String { "\(line):\(column)" }
}
