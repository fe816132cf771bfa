import Foundation

extension RegistryProcess {
    /// The config.yml for this instance (distribution docs/configuration.md, version 0.1).
    ///
    /// JSON application log at info level (it carries the "response completed" lines), access
    /// log on stdout, filesystem storage with deletes allowed and no cache, upload purging off
    /// (no background work during tests), a fixed `http.secret` so upload URLs survive
    /// `restart()`, and the TLS / auth sections the options ask for.
    var configurationYAML: String {
        var yaml = """
            version: 0.1
            log:
              level: info
              formatter: json
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: "\(storageDirectory.path)"
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: "\(hostAndPort)"
              secret: cistern-fixture-secret

            """
        if let certificateAuthority {
            yaml += """
                  tls:
                    certificate: "\(certificateAuthority.serverCertificateURL.path)"
                    key: "\(certificateAuthority.serverKeyURL.path)"

                """
        }
        switch options.authentication {
        case .none:
            break
        case .htpasswd:
            yaml += """
                auth:
                  htpasswd:
                    realm: cistern-fixture
                    path: "\(workDirectory.appending("htpasswd").path)"

                """
        }
        return yaml
    }

    /// Writes `configurationYAML` to `configurationURL`.
    func writeConfiguration() throws {
        try Data(configurationYAML.utf8).write(to: configurationURL)
    }
}
