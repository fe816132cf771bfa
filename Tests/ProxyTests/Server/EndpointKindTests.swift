import Testing
@testable import Proxy
@testable import ProxyMetrics
@testable import ProxyRegistry

/// The `kind` label of `cistern_requests_total`, from the route a target parses to.
@Suite struct EndpointKindTests {
    @Test(arguments: [
        ("/v2/", EndpointKind.base),
        ("/v2", .base),
        ("/v2/library/alpine/manifests/3.19", .manifest),
        ("/v2/library/alpine/manifests/sha256:" + String(repeating: "a", count: 64), .manifest),
        ("/v2/library/alpine/blobs/sha256:" + String(repeating: "b", count: 64), .blob),
        ("/v2/library/alpine/tags/list?n=10", .tags),
        ("/v2/library/alpine/referrers/sha256:" + String(repeating: "c", count: 64), .referrers),
        ("/metrics", .metrics),
        ("/healthz", .health),
        ("/v2/library/alpine/blobs/uploads/", .other),
    ])
    func routedTargetsGetTheirRoutesKind(target: String, kind: EndpointKind) throws {
        #expect(EndpointKind(try RegistryRoute.parse(target: target).route) == kind)
    }

    @Test(arguments: [
        ("/v2/_catalog", EndpointKind.catalog),
        ("/v2/_catalog?n=100", .catalog),
        ("/v2/_catalogue", .other),
        ("/favicon.ico", .other),
        ("-", .other),
    ])
    func unroutedTargetsAreCatalogOrOther(target: String, kind: EndpointKind) {
        #expect(EndpointKind(unroutedTarget: target) == kind)
    }
}
