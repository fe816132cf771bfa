import Foundation
import Testing

@testable import ProxyConfig

/// A distribution (`registry:2`) `config.yml` of a pull-through cache read as is (issue 16
/// item 6): `proxy:`, `storage.filesystem.rootdirectory`, `http.addr` and `http.tls` mapped,
/// every other key ignored with one warning each; and `cistern serve --config` on such a file
/// serving an image from the real registry.
@Suite(.serialized) struct DistributionConfigurationTests {
    /// The shape of the reference registry's proxy configuration, with keys Cistern ignores.
    static func configYML(remote: String, root: String, addr: String) -> String {
        """
        version: 0.1
        log:
          level: info
          fields:
            service: registry
        storage:
          cache:
            blobdescriptor: inmemory
          filesystem:
            rootdirectory: \(root)
            maxthreads: 100
          delete:
            enabled: true
        http:
          addr: \(addr)
          secret: asecretforlocaldevelopment
          headers:
            X-Content-Type-Options: [nosniff]
        health:
          storagedriver:
            enabled: true
        proxy:
          remoteurl: \(remote)
          username: puller
          password: s3cret
          ttl: 72h

        """
    }

    @Test func proxyStorageAndHTTPKeysMapAndEveryOtherKeyWarnsOnce() throws {
        let yaml = Self.configYML(remote: "https://registry-1.docker.io", root: "/var/lib/registry", addr: ":5000")
        #expect(Configuration.isDistributionFormat(yaml: yaml))
        #expect(!Configuration.isDistributionFormat(yaml: "listen: 127.0.0.1:5000\ncache_dir: /tmp/x\n"))
        let (configuration, warnings) = try Configuration.loadDistribution(yaml: yaml)
        #expect(configuration.upstreams.map(\.name) == ["docker.io"])
        #expect(configuration.upstreams.first?.url == "https://registry-1.docker.io")
        #expect(configuration.upstreams.first?.username == "puller")
        #expect(configuration.upstreams.first?.password == "s3cret")
        #expect(configuration.defaultUpstream == "docker.io")
        #expect(configuration.cacheMaxAge == .seconds(72 * 3600))
        #expect(configuration.cacheDirectory == "/var/lib/registry")
        #expect(configuration.listen == ListenAddress(host: "0.0.0.0", port: 5000))
        #expect(configuration.tls == nil)
        #expect(warnings.map { String($0.prefix { $0 != ":" }) } == [
            "storage.filesystem.maxthreads", "storage.cache", "storage.delete", "http.secret", "http.headers", "log", "health",
        ])
        // http.tls becomes tls: validation then reads the (here missing) certificate.
        let withTLS = yaml.replacingOccurrences(of: "  secret: asecretforlocaldevelopment\n",
                                                with: "  tls:\n    certificate: /nonexistent/c.pem\n    key: /nonexistent/k.pem\n")
        #expect(throws: ConfigurationError.self) { try Configuration.loadDistribution(yaml: withTLS) }
        do {
            _ = try Configuration.loadDistribution(yaml: withTLS)
        } catch {
            #expect("\(error)".contains("tls.certificate") && "\(error)".contains("/nonexistent/c.pem"), "\(error)")
        }
    }

    /// distribution's `auth.htpasswd` keeps its meaning: the same users, every pull needs one.
    @Test func htpasswdAuthMapsToAuthWithAuthenticatedPulls() throws {
        let yaml = Self.configYML(remote: "https://registry-1.docker.io", root: "/var/lib/registry", addr: ":5000")
            + "auth:\n  htpasswd:\n    realm: basic-realm\n    path: /etc/docker/registry/htpasswd\n  token:\n    realm: https://x\n"
        let (configuration, warnings) = try Configuration.loadDistribution(yaml: yaml)
        #expect(configuration.auth == AuthConfiguration(htpasswd: "/etc/docker/registry/htpasswd"))
        #expect(configuration.routes == [RouteConfiguration(match: "*", registry: "docker.io", pull: .authenticated)])
        #expect(warnings.contains { $0.hasPrefix("auth.token:") })
        #expect(!warnings.contains { $0.hasPrefix("auth.htpasswd") })
    }

    @Test(arguments: [
        ("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /r\n", "proxy.remoteurl"),
        ("version: 0.1\nproxy:\n  remoteurl: ftp://x\n", "proxy.remoteurl"),
        ("version: 0.1\nproxy:\n  remoteurl: https://r.example\n  ttl: soon\n", "proxy.ttl"),
        ("version: 0.1\nproxy:\n  remoteurl: https://r.example\nhttp:\n  addr: nowhere\n", "http.addr"),
    ])
    func aBadDistributionConfigFailsNamingItsKey(yaml: String, key: String) throws {
        do {
            _ = try Configuration.loadDistribution(yaml: yaml)
            Issue.record("accepted: \(yaml)")
        } catch let error as ConfigurationError {
            #expect(error.description.hasPrefix(key) || error.description.contains("`\(key)`") || error.description.contains(key), "\(error)")
        }
    }

    @Test func serveWithARegistryConfigYMLPullsThroughToTheRealRegistry() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-distribution-config")
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(name: "dist", layers: [.file(byteCount: 120_000)], seed: 1801)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/app", tag: "v1")
        let port = try FreePort.loopback()
        let root = work.url.appendingPathComponent("registry-root")
        let file = work.url.appendingPathComponent("config.yml")
        try Data(Self.configYML(remote: registry.baseURL.absoluteString, root: root.path, addr: "127.0.0.1:\(port)").utf8).write(to: file)
        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: [
            "serve", "--config", file.path, "--workers", "2", "--drain-delay", "0s", "--drain-timeout", "1500ms",
        ])
        defer { child.stop() }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, child.isRunning,
              (try? TestHTTPClient.fetch(port: port, "/healthz", options: .init(timeout: .seconds(1))))?.statusCode != 200 {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Skopeo().copy("127.0.0.1:\(port)/team/app:v1", to: work.appending("pulled"))
        let verified = try await Skopeo.verifyDirectory(work.appending("pulled"))
        #expect(verified.manifestDigest == image.root.digest)
        let layer = image.layers[0].digest.dropFirst("sha256:".count)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("blobs/sha256/\(layer.prefix(2))/\(layer)").path))
        child.stop()
        let standardError = String(decoding: child.standardError(), as: UTF8.self)
        for key in ["storage.delete", "http.secret", "log", "health"] {
            #expect(standardError.contains("\(key): ignored"), "\(key) warned: \(standardError)")
        }
    }
}
