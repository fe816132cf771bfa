import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyUpstream

/// Docker Hub's `library/` prefix (issue 4 item 8.10): an upstream is Docker Hub by its URL
/// host alone, never by its configured name, and only there does a one-component name gain
/// `library/`. Pure values; no network.
@Suite struct DockerHubNameTests {
    @Test(arguments: ["https://registry-1.docker.io", "https://index.docker.io", "https://docker.io"])
    func aDockerHubHostPrefixesOneComponentNamesWithLibrary(_ url: String) throws {
        // The configured name is deliberately not `docker.io`: only the host counts.
        let hub = try UpstreamRegistry(name: "hub-mirror", url: url, username: nil, password: nil)
        #expect(hub.isDockerHub)
        #expect(hub.upstreamName(try RepositoryName(parsing: "alpine")).string == "library/alpine")
        #expect(hub.upstreamName(try RepositoryName(parsing: "library/alpine")).string == "library/alpine")
        #expect(hub.upstreamName(try RepositoryName(parsing: "bitnami/redis")).string == "bitnami/redis")
        #expect(hub.upstreamName(try RepositoryName(parsing: "a/b/c")).string == "a/b/c")
    }

    @Test(arguments: [
        ("docker.io", "https://ghcr.io"),
        ("docker.io", "http://127.0.0.1:5000"),
        ("registry-1.docker.io", "https://mirror.example.com"),
        ("quay.io", "https://registry-1.docker.io.example.com"),
        ("quay.io", "https://notdocker.io"),
    ])
    func anyOtherHostLeavesNamesUnchangedWhateverTheUpstreamIsCalled(_ name: String, _ url: String) throws {
        let other = try UpstreamRegistry(name: name, url: url, username: nil, password: nil)
        #expect(!other.isDockerHub)
        #expect(other.upstreamName(try RepositoryName(parsing: "alpine")).string == "alpine")
        #expect(other.upstreamName(try RepositoryName(parsing: "team/app")).string == "team/app")
    }

    @Test func theLibraryPrefixAppliesToAMaximumLengthNameToo() throws {
        let hub = try UpstreamRegistry(name: "docker.io", url: "https://registry-1.docker.io", username: nil, password: nil)
        let longest = String(repeating: "a", count: RepositoryName.maximumByteCount)
        #expect(hub.upstreamName(try RepositoryName(parsing: longest)).string == "library/" + longest)
    }
}
