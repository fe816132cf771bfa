import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig
@testable import ProxyStore

/// `cache_max_size`, `cache_low_watermark` and `cache_max_age`: their syntax, their errors
/// (named by the YAML key or the flag that set them) and their `--print-config` round trip.
struct CacheLimitConfigurationTests {
    @Test(arguments: [
        ("200GiB", Int64(200) << 30), ("100MiB", 100 << 20), ("4KiB", 4096), ("1TiB", 1 << 40),
        ("500MB", 500_000_000), ("2GB", 2_000_000_000), ("1536", 1536), ("0", 0), ("10G", 10 << 30), ("7B", 7),
    ])
    func sizesParse(text: String, bytes: Int64) {
        #expect(ByteCountText.parse(text) == bytes)
    }

    @Test(arguments: ["", "GiB", "1.5GiB", "-1GiB", "12 GiB", "10gib", "9999999999TiB", "1PiB"])
    func malformedSizesAreRefused(text: String) {
        #expect(ByteCountText.parse(text) == nil)
    }

    @Test func sizesPrintInTheLargestExactBinaryUnit() {
        #expect(ByteCountText.text(200 << 30) == "200GiB")
        #expect(ByteCountText.text(100 << 20) == "100MiB")
        #expect(ByteCountText.text(1500) == "1500")
        #expect(ByteCountText.text(0) == "0")
    }

    @Test func theKeysAreReadAndGiveTheLimits() throws {
        let configuration = try Configuration.load(yaml: "cache_max_size: 200GiB\ncache_low_watermark: 80%\ncache_max_age: 14d\n")
        #expect(configuration.cacheMaxSize == 200 << 30)
        #expect(configuration.cacheLowWatermark == 80)
        #expect(configuration.cacheMaxAge == .seconds(14 * 86_400))
        #expect(configuration.cacheLimits == CacheLimits(maximumByteCount: 200 << 30, lowWatermarkPercent: 80,
                                                         maximumAgeNanoseconds: 14 * 86_400 * 1_000_000_000))
        #expect(Configuration.embeddedDefault.cacheLimits == .unlimited)
    }

    @Test func badValuesNameTheirKey() throws {
        #expect(throws: ConfigurationError.self) { try Configuration.load(yaml: "cache_max_size: lots\n") }
        do {
            _ = try Configuration.load(yaml: "cache_low_watermark: 0%\n")
            Issue.record("a 0% watermark was accepted")
        } catch {
            #expect("\(error)".contains("cache_low_watermark"))
        }
        // A limit smaller than the cache's own empty directory tree is a typo (1 for 1GiB).
        do {
            _ = try Configuration.load(yaml: "cache_max_size: 1\n")
            Issue.record("a 1-byte cache limit was accepted")
        } catch {
            #expect("\(error)".contains("cache_max_size") && "\(error)".contains("at least 64KiB"))
        }
        #expect(try Configuration.load(yaml: "cache_max_size: 64KiB\n").cacheMaxSize == 64 << 10)
    }

    @Test func aFlagValueOutOfRangeIsReportedUnderTheFlag() {
        var overrides = ConfigurationOverrides()
        overrides.cacheLowWatermark = 120
        do {
            _ = try overrides.applied(to: .embeddedDefault)
            Issue.record("a 120% watermark was accepted")
        } catch {
            #expect("\(error)".contains("--cache-low-watermark"))
        }
    }

    @Test func printedConfigurationReadsBackUnchanged() throws {
        var configuration = Configuration.embeddedDefault
        configuration.cacheMaxSize = 3 << 30
        configuration.cacheLowWatermark = 85
        configuration.cacheMaxAge = .seconds(14 * 86_400)
        let text = configuration.yamlText
        #expect(text.contains("cache_max_size: 3GiB\n"))
        #expect(text.contains("cache_low_watermark: 85%\n"))
        #expect(try Configuration.load(yaml: text) == configuration)
        #expect(try Configuration.load(yaml: Configuration.embeddedDefault.yamlText) == .embeddedDefault)
    }
}
