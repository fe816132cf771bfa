#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Testing
@testable import Proxy
@testable import ProxyLogging

@Suite struct StderrLogHandlerTests {
    private func formatted(
        time: timespec = timespec(tv_sec: 1_700_000_000, tv_nsec: 123_456_789), level: Logger.Level = .info,
        label: String = "cistern.server", message: String = "listening", metadata: Logger.Metadata = [:]
    ) -> String {
        var line: [UInt8] = []
        StderrLogHandler.formatLine(into: &line, time: time, level: level, label: label, message: message, metadata: metadata)
        return String(decoding: line, as: UTF8.self)
    }

    @Test func formatsTimeLevelLabelAndMessageOnOneLine() {
        #expect(formatted() == "2023-11-14T22:13:20.123Z info cistern.server: listening\n")
    }

    @Test(arguments: [
        (0, 0, "1970-01-01T00:00:00.000Z"),
        (951_782_400, 999_999_999, "2000-02-29T00:00:00.999Z"),
        (1_704_067_199, 5_000_000, "2023-12-31T23:59:59.005Z"),
        (4_102_444_800, 0, "2100-01-01T00:00:00.000Z"),
    ])
    func timestampIsUTCWithMilliseconds(seconds: Int, nanoseconds: Int, expected: String) {
        var line: [UInt8] = []
        StderrLogHandler.appendTimestamp(timespec(tv_sec: seconds, tv_nsec: nanoseconds), to: &line)
        #expect(String(decoding: line, as: UTF8.self) == expected)
    }

    @Test func metadataIsSortedByKeyAndQuotedWhenItHoldsSpacesQuotesOrEquals() {
        let metadata: Logger.Metadata = [
            "upstream": "docker.io", "error": "connection reset by peer", "expr": "a=b",
            "quote": "say \"hi\"", "count": .stringConvertible(3), "empty": "",
        ]
        #expect(formatted(metadata: metadata) == """
            2023-11-14T22:13:20.123Z info cistern.server: listening count=3 empty="" error="connection reset by peer" \
            expr="a=b" quote="say \\"hi\\"" upstream=docker.io

            """)
    }

    @Test func newlinesInTheMessageAreEscapedToKeepOneLine() {
        #expect(formatted(level: .error, message: "first\nsecond\u{1}") ==
            "2023-11-14T22:13:20.123Z error cistern.server: first\\nsecond\\x01\n")
    }

    @Test func loggerWritesHandlerProviderAndCallMetadataToTheDescriptorInOneLine() throws {
        var descriptors: [Int32] = [0, 0]
        try #require(pipe(&descriptors) == 0)
        defer {
            close(descriptors[0])
            close(descriptors[1])
        }
        let writeEnd = descriptors[1]
        let provider = Logger.MetadataProvider { ["loop": "2"] }
        var logger = Logger(label: "cistern.test") { label in
            StderrLogHandler(label: label, logLevel: .info, metadataProvider: provider, fileDescriptor: writeEnd)
        }
        logger[metadataKey: "connection"] = "7"
        logger.debug("filtered out by level")
        logger.warning("upstream slow", metadata: ["upstream": "ghcr.io"])

        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptors[0], $0.baseAddress, $0.count) }
        try #require(count > 0)
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        #expect(text.hasSuffix(" warning cistern.test: upstream slow connection=7 loop=2 upstream=ghcr.io\n"))
        #expect(text.filter { $0 == "\n" }.count == 1)
        #expect(text.utf8.count == "2023-11-14T22:13:20.123Z".utf8.count + " warning cistern.test: upstream slow connection=7 loop=2 upstream=ghcr.io\n".utf8.count)
    }
}
