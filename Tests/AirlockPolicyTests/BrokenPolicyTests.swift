import Testing

@testable import AirlockPolicy

/// Every file in `testdata/broken` must fail to load with exactly these messages (after `PATH:`),
/// in this order. Adding a broken file without an entry here fails ``everyFileHasExpectations``.
@Suite struct BrokenPolicyTests {
    static let expectations: [String: [String]] = [
        "alias_bomb.yaml": [
            "3:10: YAML anchors and aliases are not supported ('&a'): write each rule out, so a reviewer sees every entry where it applies"
        ],
        "bad_choice.yaml": [
            "2:7: mode is 'enforcing'; it must be one of enforce, report, open (did you mean 'enforce'?)",
            "4:12: dns.default is 'block'; it must be one of allow, deny",
            "5:19: dns.block_response is 'forbidden'; it must be one of nxdomain, refused",
            "9:11: sandboxes[0].mode is 'Report'; it must be one of enforce, report, open (did you mean 'report'?)",
        ],
        "bad_cidr.yaml": [
            "5:9: sandboxes[0].match[0]: bad CIDR '198.18.1.0/33': prefix length 33 is longer than 32",
            "6:9: sandboxes[0].match[1]: bad CIDR '198.18.1.5/24': bits set below the prefix (did you mean '198.18.1.0/24'?)",
            "7:9: sandboxes[0].match[2]: bad CIDR '10.0.0.0/8x': prefix length '8x' is not a number",
            "8:9: sandboxes[0].match[3]: bad CIDR 'not-an-address': not an IPv4 or IPv6 address",
            "9:9: sandboxes[0].match[4]: bad CIDR '2001:db8::/129': prefix length 129 is longer than 128",
            "11:45: http.allow_private_destinations[1]: bad CIDR '300.1.0.0/16': not an IPv4 or IPv6 address",
        ],
        "bad_patterns.yaml": [
            "4:7: dns.allow[0]: bad host pattern '*': matches every name; use 'default: allow' or 'default: deny' instead",
            "5:7: dns.allow[1]: bad host pattern 'a.*.example.com': '*' is only allowed as the whole leftmost label ('*.example.com')",
            "6:7: dns.allow[2]: bad host pattern 'exa mple.com': contains whitespace",
            "7:7: dns.allow[3]: bad host pattern 'ex!ample.com': character '!' is not allowed (letters, digits, '-' and '_' only)",
            "8:7: dns.allow[4]: bad host pattern 'bücher.de': non-ASCII characters; write internationalized names in punycode ('xn--...')",
            "9:7: dns.allow[5]: bad host pattern 'a..example': empty label (two dots in a row)",
            "10:7: dns.allow[6]: bad host pattern '.': matches every name; use 'default: allow' or 'default: deny' instead",
            "15:13: http.allow[0].host: bad host pattern '*foo.example': '*' is only allowed as the whole leftmost label ('*.example.com')",
            "16:7: missing required key 'host' in http.allow[1]",
        ],
        "bad_type.yaml": [
            "3:22: dns.allowed_types[1]: unknown DNS record type 'AAA' (did you mean 'AAAA'?)",
            "3:27: dns.allowed_types[2]: unknown DNS record type 'FOO'",
            "3:44: dns.allowed_types[5]: unknown DNS record type '0'",
            "3:47: dns.allowed_types[6]: unknown DNS record type '70000'",
        ],
        "bad_upstreams.yaml": [
            "3:15: dns.upstreams[0]: bad upstream 'dns.google': not an IP address (upstreams are addresses: the proxy cannot resolve its own resolver)",
            "3:27: dns.upstreams[1]: bad upstream '198.18.0.53:99999': port must be 1-65535",
            "3:48: dns.upstreams[2]: bad upstream '[2001:db8::53': missing ']'",
            "3:65: dns.upstreams[3]: bad upstream '198.18.0.53:0': port must be 1-65535",
        ],
        "binary.bin": ["2:7: not a UTF-8 text file: invalid leading UTF-8 octet (0xff)"],
        "comments_only.yaml": ["1:1: policy file is empty (no YAML document; at least 'version: 1' is required)"],
        "deep.yaml": ["2:35: nesting deeper than 32 levels"],
        "duplicate_keys.yaml": [
            "4:3: duplicate key 'allow' in dns (first at 3:3)",
            "7:1: duplicate key 'dns' at the top level (first at 2:1)",
        ],
        "fleet.yaml": [
            "3:10: fleet.redis: bad address 'redis host:6379': 'redis host' is neither an IP address nor a host name",
            "4:3: missing required key 'password_file' in fleet (a username needs a password)",
            "5:13: fleet.instance: bad name 'node a': use letters, digits, '-', '_' and '.' only",
            "6:15: fleet.key_prefix: bad name '': empty",
            "7:24: fleet.share[1] is 'budgets'; it must be one of convictions, leak_budget",
            "8:24: fleet.leak_budget.bytes is 0; it must be 1-1073741824",
            "8:32: fleet.leak_budget.per is 'client'; it must be one of domain, sandbox",
            "9:21: fleet.sync_interval_ms is 10; it must be 50-5000",
            "10:20: fleet.max_convictions is 5; it must be 16-1048576",
            "11:3: unknown key 'tsl' in fleet (did you mean 'tls'?)",
        ],
        "fleet_files.yaml": [
            "4:18: fleet.password_file: cannot use /no/such/password: No such file or directory",
            "6:14: fleet.tls.ca_file: cannot use /no/such/ca.pem: No such file or directory",
        ],
        "empty.yaml": ["1:1: policy file is empty (no YAML document; at least 'version: 1' is required)"],
        "missing_version.yaml": ["1:1: missing required key 'version' at the top level"],
        "multiple_documents.yaml": [
            "2:1: policy file holds more than one YAML document ('---'); put the whole policy in one"
        ],
        "out_of_range.yaml": [
            "3:13: dns.attempts is 0; it must be 1-10",
            "4:15: dns.timeout_ms is 60001; it must be 1-60000",
            "5:23: dns.quarantine_seconds is -1; it must be 0-86400",
            "6:24: dns.leak_budget.bytes is 0; it must be 1-16777216",
            "6:43: dns.leak_budget.window_seconds is 99999999999999999999999; it must be 1-86400",
            "10:15: http.allow[0].ports[0] is 0; it must be 1-65535",
            "10:23: http.allow[0].ports[2] is 70000; it must be 1-65535",
            "12:14: http.allow[1].ports must be a non-empty list of ports (leave it out for every port), found an empty list",
        ],
        "root_list.yaml": ["1:1: the policy must be a mapping, found a list"],
        "local_zones.yaml": [
            "3:35: dns.local_zones[1]: bad host pattern 'exa mple': contains whitespace",
            "8:7: 'sandboxes[0].dns.local_zones' applies to every sandbox (one engine judges them all); write it at the top level",
        ],
        "sandboxes.yaml": [
            "6:13: 198.18.0.0/16 in sandbox 'agent-2' overlaps 198.18.1.0/24 of sandbox 'agent-1' (at 4:13); a client address must belong to one sandbox",
            "7:11: duplicate sandbox name 'agent-1' (first at 3:11)",
            "9:11: bad sandbox name 'agent 3': use letters, digits, '-', '_' and '.' only",
            "11:5: missing required key 'match' in sandboxes[4]",
            "12:5: missing required key 'name' in sandboxes[5]",
            "12:12: sandboxes[5].match must be a non-empty list of CIDRs, found an empty list",
        ],
        "syntax_error.yaml": [
            "4:7: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence started at 3:10"
        ],
        "tabs.yaml": ["4:1: tab character in indentation (YAML indents with spaces only)"],
        "tags.yaml": ["3:11: YAML tags are not supported ('!!str')"],
        "unknown_detection_key.yaml": [
            "3:3: unknown detection key 'tunel_score' (did you mean 'tunnel_score'?); known keys: entropy_threshold, tunnel_score",
            "4:22: detection.entropy_threshold must be a number, found a string ('high')",
            "5:3: unknown detection key 'made_up_key'; known keys: entropy_threshold, tunnel_score",
            "6:3: duplicate key 'entropy_threshold' in detection (first at 4:3)",
        ],
        "unknown_key.yaml": [
            "4:3: unknown key 'alow' in dns (did you mean 'allow'?)",
            "7:1: unknown key 'htttp' at the top level (did you mean 'http'?)",
        ],
        "version.yaml": ["1:10: version is 2; this Airlock reads policy version 1"],
        "wrong_types.yaml": [
            "2:7: mode is '1'; it must be one of enforce, report, open",
            "4:10: dns.allow must be a list, found a string ('example.com')",
            "5:8: dns.deny must be a list, found an empty value (write [] for an empty list)",
            "6:23: dns.quarantine_seconds must be an integer, found a string ('600')",
            "7:15: dns.timeout_ms must be an integer, found a number (2.5)",
            "8:16: dns.leak_budget must be a mapping, found a number (4096)",
            "9:18: dns.allowed_types must be a non-empty list of record types or 'all' (use 'default: deny' to block every name), found an empty list",
            "10:7: http must be a mapping, found a list",
            "11:12: sandboxes must be a list, found a mapping",
        ],
    ]

    @Test func everyFileHasExpectations() {
        let files = TestData.files(in: "broken")
        #expect(files.count >= 20)
        #expect(Set(files) == Set(Self.expectations.keys))
    }

    @Test(arguments: TestData.files(in: "broken"))
    func failsWithExactMessages(file: String) throws {
        let path = TestData.path("broken", file)
        let expected = try #require(Self.expectations[file]).map { "\(path):\($0)" }
        do {
            let policy = try PolicyLoader.load(path: path, knownDetectionKeys: TestData.detectionKeys)
            Issue.record("\(file) loaded (version \(policy.version))")
        } catch {
            #expect(error.diagnostics.map(\.description) == expected)
            #expect(error.diagnostics.allSatisfy { $0.severity == .error })
        }
        // The checker reports the same lines plus a count, and fails.
        let result = PolicyChecker.check(path: path, knownDetectionKeys: TestData.detectionKeys)
        #expect(!result.ok)
        let count = expected.count
        #expect(
            result.output == (expected + ["\(path): \(count) error\(count == 1 ? "" : "s")"]).joined(separator: "\n")
                + "\n")
    }

    @Test func detectionKeysDefaultToNone() {
        let text = "version: 1\ndetection:\n  tunnel_score: 1.0\n"
        #expect(throws: PolicyError.self) { try PolicyLoader.load(text: text, name: "p.yaml") }
        do {
            _ = try PolicyLoader.load(text: text, name: "p.yaml")
        } catch {
            #expect(
                error.description
                    == "p.yaml:3:3: unknown detection key 'tunnel_score' (this build accepts no detection overrides)")
        }
    }

    @Test func unreadableAndOversizedFiles() {
        let missing = TestData.path("broken", "no-such-file.yaml")
        do {
            _ = try PolicyLoader.load(path: missing)
            Issue.record("missing file loaded")
        } catch {
            #expect(error.description == "\(missing): cannot read policy file: No such file or directory")
        }
        let big = [UInt8]("version: 1\n".utf8) + [UInt8](repeating: 0x23, count: PolicyLoader.maxFileBytes)
        do {
            _ = try PolicyLoader.load(bytes: big, name: "big.yaml")
            Issue.record("oversized file loaded")
        } catch {
            #expect(
                error.description
                    == "big.yaml: policy file is \(big.count) bytes; the limit is \(PolicyLoader.maxFileBytes) bytes")
        }
        do {
            _ = try PolicyLoader.load(path: "/dev/zero")
            Issue.record("/dev/zero loaded")
        } catch {
            #expect(error.description.hasPrefix("/dev/zero: policy file is "))
        }
    }

    @Test func billionLaughsIsRefusedQuickly() {
        // Ten levels of ten aliases each would expand to 10^10 nodes if aliases were followed.
        var text = "version: 1\na0: &a0 [x]\n"
        for level in 1...10 {
            text +=
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(throws: PolicyError.self) { try PolicyLoader.load(text: text, name: "bomb.yaml") }
        }
        #expect(elapsed < .seconds(1))
    }
}
