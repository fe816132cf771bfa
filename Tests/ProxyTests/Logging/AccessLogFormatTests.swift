import Foundation
import Testing
@testable import ProxyHTTP
@testable import ProxyLogging
@testable import ProxyMetrics

/// The `json` and `logfmt` access-log formats: exact lines for an ordinary request, and
/// hostile request targets that must stay inside their own field on their own line.
@Suite struct AccessLogFormatTests {
    private func line(
        _ format: AccessLogFormat, method: String = "GET", path: String = "/v2/library/alpine/manifests/3.19?ns=docker.io",
        outcome: CacheOutcome? = .hit, upstream: String? = "docker.io", requestID: RequestID = .generated(0x8F3A_61C2_D09B_4E57)
    ) -> String {
        AccessLogLine(
            clientAddress: "192.0.2.7:51234", method: method, path: path, status: 200, bytesSent: 1576,
            duration: .microseconds(12_345), cacheOutcome: outcome, upstreamName: upstream,
            endedAtUnixNanoseconds: 1_714_566_896_789_000_000, requestID: requestID
        ).text(format: format)
    }

    /// Targets a client can send (the parser passes every byte but CR, LF and NUL; tests of
    /// the renderer go further and include those).
    static let hostileTargets = [
        #"/v2/a"b/manifests/x"#,
        #"/v2/a\"},"status":999,"x":"/blobs/y"#,
        "/v2/a\\/b%2Fc/tags/list",
        "/v2/x\n{\"time\":\"forged\"}",
        "/v2/x\r\u{1B}[31m\u{7}\u{0}\u{8}\u{C}\t\u{7F}",
        "/v2/\u{FFFD}\u{FFFD}/é/日本",
        "/v2/x status=999 cache=hit",
        "/v2/a\" upstream=\"forged",
    ]

    @Test func jsonLineHasTheDocumentedFieldsInOrder() {
        #expect(line(.json) == #"{"time":"2024-05-01T12:34:56.789Z","request_id":"8f3a61c2d09b4e57","client":"192.0.2.7:51234","method":"GET","target":"/v2/library/alpine/manifests/3.19?ns=docker.io","status":200,"bytes":1576,"duration_ms":12.345,"cache":"hit","upstream":"docker.io"}"#)
    }

    @Test func jsonWritesAbsentOutcomeAsNoneAndAbsentUpstreamAsNull() {
        #expect(line(.json, outcome: nil, upstream: nil).hasSuffix(#""cache":"none","upstream":null}"#))
    }

    @Test(arguments: hostileTargets)
    func jsonKeepsAHostileTargetInsideItsStringAndTheLineOnOneLine(target: String) throws {
        let rendered = line(.json, method: "G\"E\\T", path: target)
        #expect(!rendered.contains("\n") && !rendered.contains("\r"))
        #expect(!rendered.replacing(#"\\"#, with: "").contains(#"\/"#), "a / was escaped")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: Any])
        #expect(object["target"] as? String == target)
        #expect(object["method"] as? String == "G\"E\\T")
        #expect(object["status"] as? Int == 200)
        #expect(object["cache"] as? String == "hit")
        #expect(object.count == 10)
    }

    @Test func jsonEscapesControlBytesByName() {
        let rendered = line(.json, path: "/a\n\r\t\u{8}\u{C}\u{1}\u{7F}")
        #expect(rendered.contains(#""target":"/a\n\r\t\b\f\u0001\u007f""#))
    }

    @Test func logfmtLineHasTheDocumentedPairsInOrder() {
        #expect(line(.logfmt) == #"time=2024-05-01T12:34:56.789Z request_id=8f3a61c2d09b4e57 client=192.0.2.7:51234 method=GET target="/v2/library/alpine/manifests/3.19?ns=docker.io" status=200 bytes=1576 duration_ms=12.345 cache=hit upstream=docker.io"#)
    }

    @Test func logfmtQuotesValuesThatNeedItAndWritesAbsentOnesAsWords() {
        #expect(line(.logfmt, path: "/v2/x status=999", outcome: nil, upstream: nil, requestID: .received("a=b"))
            == #"time=2024-05-01T12:34:56.789Z request_id="a=b" client=192.0.2.7:51234 method=GET target="/v2/x status=999" status=200 bytes=1576 duration_ms=12.345 cache=none upstream=-"#)
    }

    @Test(arguments: hostileTargets)
    func logfmtKeepsAHostileTargetInOnePairOnOneLine(target: String) throws {
        let rendered = line(.logfmt, path: target)
        #expect(!rendered.contains("\n") && !rendered.contains("\r"))
        let pairs = try Self.logfmtPairs(rendered)
        #expect(pairs.map(\.key) == ["time", "request_id", "client", "method", "target", "status", "bytes", "duration_ms", "cache", "upstream"])
        #expect(pairs.first { $0.key == "status" }?.value == "200")
        #expect(pairs.first { $0.key == "upstream" }?.value == "docker.io")
    }

    struct MalformedLogfmt: Error {}

    /// A strict logfmt reader: `key=value` separated by single spaces; a value is either bare
    /// (no space, `"` or `=`) or double-quoted with `\"` and `\\` escapes.
    static func logfmtPairs(_ line: String) throws -> [(key: String, value: String)] {
        var pairs: [(String, String)] = []
        var rest = Substring(line)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { throw MalformedLogfmt() }
            let key = String(rest[..<equals])
            guard !key.isEmpty, !key.contains(" "), !key.contains("\"") else { throw MalformedLogfmt() }
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { throw MalformedLogfmt() }
                        value.append("\\")
                        value.append(escaped)
                        rest = rest.dropFirst()
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw MalformedLogfmt() }
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                guard !value.contains("\""), !value.contains("=") else { throw MalformedLogfmt() }
                rest = rest[end...]
            }
            pairs.append((key, value))
            if rest.first == " " { rest = rest.dropFirst() } else if !rest.isEmpty { throw MalformedLogfmt() }
        }
        return pairs
    }
}
