import Testing

@testable import AirlockPolicy

@Suite struct YAMLLoaderTests {
    private func load(_ text: String) throws(PolicyError) -> YAMLNode {
        try YAMLLoader.load(bytes: Array(text.utf8), file: "t.yaml")
    }

    private func firstError(_ text: String) -> String? {
        do {
            _ = try load(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func locationsAreOneBased() throws {
        let root = try load("a: 1\nb:\n  - x\n  - [y, 'z']\nc: {d: \"e\"}\n")
        guard case .mapping(let entries) = root.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(entries.map(\.key) == ["a", "b", "c"])
        #expect(entries[0].keyLocation.shortDescription == "1:1")
        #expect(entries[0].value.location.shortDescription == "1:4")
        guard case .sequence(let items) = entries[1].value.content else {
            Issue.record("not a list")
            return
        }
        #expect(items[0].location.shortDescription == "3:5")
        guard case .sequence(let inner) = items[1].content else {
            Issue.record("not a list")
            return
        }
        #expect(inner[1].location.shortDescription == "4:9")
        #expect(inner[1].content == .scalar(.init(text: "z", style: .singleQuoted)))
        guard case .mapping(let flow) = entries[2].value.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(flow[0].value.content == .scalar(.init(text: "e", style: .doubleQuoted)))
        #expect(flow[0].value.location.description == "t.yaml:5:8")
    }

    @Test func keepsDuplicatesForTheDecoder() throws {
        let root = try load("a: 1\na: 2\n")
        guard case .mapping(let entries) = root.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(entries.count == 2)
    }

    @Test func nullsAndStyles() throws {
        let root = try load("a:\nb: ~\nc: ''\nd: |\n  text\n")
        guard case .mapping(let entries) = root.content else {
            Issue.record("not a mapping")
            return
        }
        func scalar(_ i: Int) -> YAMLNode.Scalar? {
            if case .scalar(let s) = entries[i].value.content { return s }
            return nil
        }
        #expect(scalar(0)?.isNull == true)
        #expect(scalar(1)?.isNull == true)
        #expect(scalar(2)?.isNull == false)  // a quoted empty string is a string
        #expect(scalar(3) == .init(text: "text\n", style: .literal))
    }

    @Test func refusesAnchorsAliasesAndTags() {
        #expect(
            firstError("a: &x 1\n")
                == "t.yaml:1:4: YAML anchors and aliases are not supported ('&x'): write each rule out, so a reviewer sees every entry where it applies"
        )
        #expect(
            firstError("a: *x\n")?.hasPrefix("t.yaml:1:4: YAML anchors and aliases are not supported ('*x')") == true)
        #expect(firstError("a: !custom 1\n") == "t.yaml:1:4: YAML tags are not supported ('!custom')")
        #expect(firstError("a: !!int 1\n") == "t.yaml:1:4: YAML tags are not supported ('!!int')")
    }

    @Test func refusesCollectionKeys() {
        #expect(firstError("[a]: 1\n") == "t.yaml:1:1: mapping keys must be strings, found a list")
        #expect(firstError("? {a: 1}\n: 2\n") == "t.yaml:1:3: mapping keys must be strings, found a mapping")
    }

    @Test func depthLimitHoldsForHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(
            firstError(deep) == "t.yaml:1:\(YAMLLoader.maxDepth + 1): nesting deeper than \(YAMLLoader.maxDepth) levels"
        )
        let ok = String(repeating: "[", count: YAMLLoader.maxDepth) + String(repeating: "]", count: YAMLLoader.maxDepth)
        #expect(firstError(ok) == nil)
    }

    @Test func emptyAndGarbage() {
        #expect(firstError("")?.hasPrefix("t.yaml:1:1: policy file is empty") == true)
        #expect(firstError("# nothing\n")?.hasPrefix("t.yaml:1:1: policy file is empty") == true)
        #expect(
            firstError("a: 1\n---\nb: 2\n")?.hasPrefix("t.yaml:2:1: policy file holds more than one YAML document")
                == true)
        do {
            _ = try YAMLLoader.load(bytes: [0x61, 0x3A, 0x20, 0x00, 0x01], file: "t.yaml")
            Issue.record("NUL accepted")
        } catch {
            #expect(error.description == "t.yaml:1:4: not a UTF-8 text file: control characters are not allowed (0x0)")
        }
    }
}
