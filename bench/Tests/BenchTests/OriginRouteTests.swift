import BenchCore
import Testing

@Suite struct OriginRouteTests {
    @Test func theRepositoryNameCarriesTheRate() {
        #expect(OriginRoute.parse(path: "/v2/bench/r4096k/blobs/sha256:ab") == .blob(digest: "sha256:ab", rateBytesPerSecond: 4 << 20))
        #expect(OriginRoute.parse(path: "/v2/bench/r0k/manifests/latest") == .manifest(reference: "latest", rateBytesPerSecond: 0))
        #expect(OriginRoute.parse(path: "/v2/library/alpine/blobs/sha256:ab") == .blob(digest: "sha256:ab", rateBytesPerSecond: nil))
    }

    @Test func repositoryRoundTripsTheRate() {
        let path = "/v2/" + OriginRoute.repository(rateBytesPerSecond: 8 << 20) + "/blobs/sha256:cd"
        #expect(OriginRoute.parse(path: Substring(path)) == .blob(digest: "sha256:cd", rateBytesPerSecond: 8 << 20))
    }

    @Test func otherPathsAreBaseStatsOrUnknown() {
        #expect(OriginRoute.parse(path: "/v2/") == .base)
        #expect(OriginRoute.parse(path: "/v2") == .base)
        #expect(OriginRoute.parse(path: "/stats") == .stats)
        #expect(OriginRoute.parse(path: "/v2/x/tags/list") == .unknown)
        #expect(OriginRoute.parse(path: "/v2//blobs/sha256:ab") == .unknown)
        #expect(OriginRoute.parse(path: "/metrics") == .unknown)
    }
}
