import Testing
@testable import Proxy
@testable import ProxyConfig

@Suite struct ConfigurationValidationTests {
    private func validationErrorKey(_ mutate: (inout Configuration) throws -> Void) throws -> String? {
        var configuration = Configuration.embeddedDefault
        try mutate(&configuration)
        do {
            try configuration.validate()
            return nil
        } catch let error as ConfigurationError {
            switch error {
            case .invalidValue(let key, _, _), .missingKey(let key), .unknownKey(let key), .duplicateKey(let key):
                return key
            case .unreadableConfigurationFile, .malformedYAML:
                return "(other)"
            }
        }
    }

    @Test func embeddedDefaultIsValid() throws {
        #expect(try validationErrorKey { _ in } == nil)
    }

    @Test func negativeWorkersAreRejected() throws {
        #expect(try validationErrorKey { $0.workers = -1 } == "workers")
    }

    @Test func emptyUpstreamListIsRejected() throws {
        #expect(try validationErrorKey { $0.upstreams = [] } == "upstreams")
    }

    @Test func duplicateUpstreamNamesAreRejected() throws {
        let key = try validationErrorKey {
            $0.upstreams.append(try UpstreamConfiguration(name: "docker.io", url: "https://mirror.gcr.io"))
        }
        #expect(key == "upstreams[1].name")
    }

    @Test func usernameWithoutPasswordIsRejected() throws {
        #expect(try validationErrorKey { $0.upstreams[0].username = "alice" } == "upstreams[0].username")
    }

    @Test func passwordWithoutUsernameIsRejected() throws {
        #expect(try validationErrorKey { $0.upstreams[0].password = "secret" } == "upstreams[0].username")
    }

    @Test func negativeTagTTLIsRejectedButZeroIsAllowed() throws {
        #expect(try validationErrorKey { $0.tagTTL = .seconds(-1) } == "tag_ttl")
        #expect(try validationErrorKey { $0.tagTTL = .zero } == nil)
    }

    @Test func zeroTimeoutIsRejectedWithItsKey() throws {
        #expect(try validationErrorKey { $0.timeouts.upstreamConnect = .zero } == "timeouts.upstream_connect")
        #expect(try validationErrorKey { $0.timeouts.requestHead = .zero } == "timeouts.request_head")
    }

    @Test func negativeMinimumRateIsRejectedButZeroDisables() throws {
        #expect(try validationErrorKey { $0.timeouts.upstreamMinimumRate = -1 } == "timeouts.upstream_minimum_rate")
        #expect(try validationErrorKey { $0.timeouts.upstreamMinimumRate = 0 } == nil)
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "linux/arm64/v8/extra", ""])
    func malformedPrefetchPlatformIsRejected(platform: String) throws {
        #expect(try validationErrorKey { $0.prefetchPlatform = platform } == "prefetch_platform")
    }

    @Test func prefetchConcurrencyBelowOneIsRejected() throws {
        #expect(try validationErrorKey { $0.prefetchConcurrency = 0 } == "prefetch_concurrency")
    }

    @Test func namespaceSelectsTheNamedUpstreamAndNilSelectsTheDefault() throws {
        var configuration = Configuration.embeddedDefault
        configuration.upstreams.append(try UpstreamConfiguration(name: "ghcr.io", url: "https://ghcr.io"))
        #expect(configuration.upstream(forNamespace: nil)?.name == "docker.io")
        #expect(configuration.upstream(forNamespace: "ghcr.io")?.host == "ghcr.io")
        #expect(configuration.upstream(forNamespace: "evil.example") == nil)
    }
}
