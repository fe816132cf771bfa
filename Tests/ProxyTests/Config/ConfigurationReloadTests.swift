import Foundation
import Testing
@testable import ProxyConfig

/// What a SIGHUP reload does with each setting (issue 14): the live ones are taken, the
/// restart-only ones keep their running values; and the drain settings' keys, flags and
/// checks.
@Suite struct ConfigurationReloadTests {
    /// A configuration that differs from the embedded default in every setting.
    static func everythingChanged() throws -> Configuration {
        var upstream = try UpstreamConfiguration(name: "ghcr.io", url: "https://ghcr.io")
        upstream.insecureSkipTLSVerify = true
        var configuration = Configuration(
            listen: ListenAddress(host: "127.0.0.1", port: 6000), workers: 3, cacheDirectory: "/srv/cache",
            upstreams: [upstream], defaultUpstream: "ghcr.io",
            timeouts: Timeouts(requestHead: .seconds(1), idleKeepAlive: .seconds(2), clientWriteStall: .seconds(3),
                               upstreamConnect: .seconds(4), upstreamReadStall: .seconds(5), upstreamMinimumRate: 6,
                               upstreamMinimumRateWindow: .seconds(7)),
            tagTTL: .seconds(8), serveStaleOnDenied: false, prefetch: true, prefetchPlatform: "linux/arm64",
            prefetchConcurrency: 9, logLevel: .debug, accessLog: false,
            accessLogFormat: .json, adminListen: ListenAddress(host: "127.0.0.1", port: 6001), cacheMaxSize: 10, cacheLowWatermark: 11,
            cacheMaxAge: .seconds(12), tls: TLSListenerConfiguration(certificate: "/etc/cistern/chain.pem", key: "/etc/cistern/key.pem"),
            drainDelay: .seconds(13), drainTimeout: .seconds(14))
        configuration.storageRegistry = "local"
        configuration.routes = [RouteConfiguration(match: "mycorp/*", registry: "local", push: .anyone)]
        configuration.storageDirectory = "/srv/storage"
        configuration.uploadTimeout = .seconds(15)
        configuration.maxUploadSize = 16
        configuration.nodeID = "node-15"
        configuration.trustedProxies = [try AddressRange(parsing: "10.0.0.16/32", key: "trusted_proxies[0]")]
        configuration.auth = AuthConfiguration(htpasswd: "/etc/cistern/htpasswd", tokenKeyFile: "/srv/token.key", tokenTTL: .seconds(17),
                                               maxFailedAttempts: 18, failedAttemptsWindow: .seconds(19))
        return configuration
    }

    /// Every key the configuration writes (with every optional setting set) is classified,
    /// so a new setting cannot be silently left out of reloads.
    @Test func everyKeyOfTheFileIsClassified() throws {
        let classified = Set(Configuration.reloadTable.map(\.key))
        var written: Set<String> = []
        var section = ""
        for line in try Self.everythingChanged().yamlText.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("  -"), !line.hasPrefix("    ") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("  ") {
                written.insert("\(section).\(key)")
            } else if line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).isEmpty {
                section = key
                if ["upstreams", "registries", "routes"].contains(key) { written.insert(key) }  // lists, classified whole
            } else {
                written.insert(key)
            }
        }
        #expect(written.contains("timeouts.request_head"))
        #expect(written.subtracting(classified).isEmpty, "not in Configuration.reloadTable: \(written.subtracting(classified).sorted())")
        #expect(classified.subtracting(written).isEmpty, "not written by yamlText: \(classified.subtracting(written).sorted())")
    }

    @Test func everySettingDiffersInTheTestConfiguration() throws {
        let changed = try Self.everythingChanged()
        let keys = Configuration.embeddedDefault.reloadChanges(to: changed).map(\.key)
        #expect(keys == Configuration.reloadTable.map(\.key))
    }

    /// After a reload the live settings have the new values and the restart-only ones the
    /// running values, exactly as the table says.
    @Test func applyingTakesTheLiveSettingsAndKeepsTheRestartOnlyOnes() throws {
        let running = Configuration.embeddedDefault
        let new = try Self.everythingChanged()
        let applied = running.applyingLiveSettings(of: new)
        for row in Configuration.reloadTable {
            switch row.effect {
            case .live: #expect(!row.differs(applied, new), "\(row.key) was not applied")
            case .restartOnly: #expect(!row.differs(applied, running), "\(row.key) changed without a restart")
            }
        }
        #expect(running.reloadChanges(to: new).filter { $0.effect == .live }.map(\.key) == [
            "timeouts.request_head", "timeouts.idle_keep_alive", "timeouts.client_write_stall", "tag_ttl",
            "serve_stale_on_denied", "log_level", "access_log", "drain_delay", "drain_timeout",
        ])
    }

    @Test func theDrainSettingsHaveTheirDefaultsKeysAndFlags() throws {
        #expect(Configuration.embeddedDefault.drainDelay == .seconds(5))
        #expect(Configuration.embeddedDefault.drainTimeout == .seconds(30))
        let loaded = try Configuration.load(yaml: "drain_delay: 250ms\ndrain_timeout: 1m\n")
        #expect(loaded.drainDelay == .milliseconds(250))
        #expect(loaded.drainTimeout == .seconds(60))
        #expect(try Configuration.load(yaml: loaded.yamlText) == loaded)
        var overrides = ConfigurationOverrides()
        overrides.drainDelay = .zero
        overrides.drainTimeout = .seconds(2)
        let overridden = try overrides.applied(to: loaded)
        #expect(overridden.drainDelay == .zero)
        #expect(overridden.drainTimeout == .seconds(2))
    }

    @Test func badDrainSettingsAreNamedByKeyOrFlag() throws {
        #expect(throws: ConfigurationError.invalidValue(key: "drain_timeout", value: "0s", reason: "must be greater than zero")) {
            try Configuration.load(yaml: "drain_timeout: 0s\n")
        }
        var negative = Configuration.embeddedDefault
        negative.drainDelay = .seconds(-1)
        #expect(throws: ConfigurationError.invalidValue(key: "drain_delay", value: "-1s", reason: "must not be negative")) {
            try negative.validate()
        }
        var overrides = ConfigurationOverrides()
        overrides.drainTimeout = .zero
        #expect(throws: ConfigurationError.invalidValue(key: "--drain-timeout", value: "0s", reason: "must be greater than zero")) {
            try overrides.applied(to: .embeddedDefault)
        }
    }
}
