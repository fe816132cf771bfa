import Testing
@testable import Proxy

@Suite struct DurationConfigurationTextTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("30s", .seconds(30)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)),
        ("1h0m5s250ms", .milliseconds(3_605_250)),
        ("45", .seconds(45)),
        ("0", .zero),
        ("0s", .zero),
    ])
    func parsesUnitsAndBareSeconds(text: String, expected: Duration) {
        #expect(Duration(configurationText: text) == expected)
    }

    @Test(arguments: ["", "1.5s", "-1s", "10x", "s", "1h30", "30 s", "9223372036854775807h", "1S"])
    func rejectsMalformedOrOverflowingText(text: String) {
        #expect(Duration(configurationText: text) == nil)
    }

    @Test(arguments: [
        (Duration.seconds(60), "60s"),
        (.seconds(30), "30s"),
        (.milliseconds(1500), "1500ms"),
        (.seconds(600), "10m"),
        (.seconds(7200), "2h"),
        (.zero, "0s"),
        (.nanoseconds(1_500_000), "1ms"),
    ])
    func formatsWithReadableUnit(duration: Duration, expected: String) {
        #expect(duration.configurationText == expected)
    }

    @Test func formattedTextParsesBackToTheSameDuration() {
        for milliseconds in [0, 1, 999, 1000, 60_000, 61_000, 600_000, 3_600_000, 3_600_001] as [Int64] {
            let duration = Duration.milliseconds(milliseconds)
            #expect(Duration(configurationText: duration.configurationText) == duration)
        }
    }
}
