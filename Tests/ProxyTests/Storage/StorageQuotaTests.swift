import Foundation
import Testing

@testable import ProxyConfig

/// `quota:` on a storage route (issue 16 item 9): blobs past it are refused with 403 DENIED
/// naming the route and the bytes, a digest the route already holds costs nothing, and other
/// routes are not limited by it; the YAML key round-trips.
@Suite(.serialized) struct StorageQuotaTests {
    private static func start(_ registry: RegistryProcess) throws -> CisternInstance {
        let name = registry.hostAndPort
        return try CisternInstance(upstreams: [(name, registry.baseURL.absoluteString)]) {
            $0.storageRegistry = "local"
            $0.routes = [
                RouteConfiguration(match: "mycorp/*", registry: "local", pull: .anyone, push: .anyone, quota: 300_000),
                RouteConfiguration(match: "open/*", registry: "local", pull: .anyone, push: .anyone),
                RouteConfiguration(match: "*", registry: name),
            ]
        }
    }

    private static func blob(_ byteCount: Int, seed: UInt8) -> (bytes: [UInt8], digest: String) {
        let bytes = (0..<byteCount).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
        return (bytes, TestSHA256.digest(bytes))
    }

    private static func pushMonolithic(_ client: TestHTTPClient, _ repository: String, _ blob: (bytes: [UInt8], digest: String)) throws -> TestHTTPResponse {
        try client.request("POST", "/v2/\(repository)/blobs/uploads/?digest=\(blob.digest)",
                           headers: [("Content-Type", "application/octet-stream"), ("Content-Length", "\(blob.bytes.count)")], body: blob.bytes)
    }

    @Test func aBlobPastTheRoutesQuotaIsDeniedAndAHeldDigestCostsNothing() async throws {
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let cistern = try Self.start(registry)
        let port = cistern.port
        try await OffPool.run {
            let first = Self.blob(200_000, seed: 1)
            let second = Self.blob(150_000, seed: 2)
            let client = try TestHTTPClient(port: port)
            defer { client.close() }
            #expect(try Self.pushMonolithic(client, "mycorp/a", first).statusCode == 201)
            let refused = try Self.pushMonolithic(client, "mycorp/b", second)
            #expect(refused.statusCode == 403)
            #expect(refused.bodyText.contains("\"code\":\"DENIED\""), "\(refused.bodyText)")
            #expect(refused.bodyText.contains("storage quota exceeded"))
            #expect(refused.bodyText.contains("holds 200000 of its quota of 300000 bytes; this blob needs 150000 more"), "\(refused.bodyText)")
            #expect(try client.request("HEAD", "/v2/mycorp/b/blobs/\(second.digest)").statusCode == 404)
            // The same digest again, in another repository of the route: already counted.
            #expect(try Self.pushMonolithic(client, "mycorp/c", first).statusCode == 201)
            // Another route has no quota; mounting from it into mycorp/ counts against mycorp/*.
            #expect(try Self.pushMonolithic(client, "open/x", second).statusCode == 201)
            let mount = try client.request("POST", "/v2/mycorp/d/blobs/uploads/?mount=\(second.digest)&from=open/x",
                                           headers: [("Content-Length", "0")])
            #expect(mount.statusCode == 403, "\(mount.bodyText)")
            let small = Self.blob(100_000, seed: 3)
            #expect(try Self.pushMonolithic(client, "mycorp/a", small).statusCode == 201)
        }
    }

    @Test func quotaRoundTripsThroughTheYAMLText() throws {
        let yaml = """
            registries:
              - name: local
                type: storage
            routes:
              - match: "mycorp/*"
                registry: local
                push: anyone
                quota: 10GiB
            """
        let configuration = try Configuration.load(yaml: yaml)
        #expect(configuration.routes.first?.quota == 10 << 30)
        #expect(configuration.routeTable.rules.first?.quota == 10 << 30)
        #expect(try Configuration.load(yaml: configuration.yamlText).routes.first?.quota == 10 << 30)
    }
}
