import Testing
@testable import ProxyConfig
@testable import ProxyLogging

/// `access_log_format` / `--access-log-format` and `admin_listen` / `--admin-listen`: read from
/// YAML and flags, refused by name when malformed, and kept by the `--print-config` round trip.
@Suite struct ObservabilityConfigurationTests {
    @Test func defaultsAreTextAndNoAdminAddress() {
        #expect(Configuration.embeddedDefault.accessLogFormat == .text)
        #expect(Configuration.embeddedDefault.adminListen == nil)
    }

    @Test(arguments: [("text", AccessLogFormat.text), ("json", .json), ("logfmt", .logfmt), ("JSON", .json)])
    func yamlReadsTheAccessLogFormat(text: String, expected: AccessLogFormat) throws {
        #expect(try Configuration.load(yaml: "access_log_format: \(text)").accessLogFormat == expected)
    }

    @Test func anUnknownFormatIsRefusedNamingItsKey() {
        #expect(throws: ConfigurationError.invalidValue(
            key: "access_log_format", value: "xml", reason: "expected one of text, json, logfmt")
        ) {
            try Configuration.load(yaml: "access_log_format: xml")
        }
    }

    @Test func yamlReadsTheAdminAddressAndRefusesAMalformedOne() throws {
        #expect(try Configuration.load(yaml: "admin_listen: 127.0.0.1:9090").adminListen == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(throws: ConfigurationError.invalidValue(
            key: "admin_listen", value: "localhost", reason: "expected HOST:PORT, e.g. 0.0.0.0:5000")
        ) {
            try Configuration.load(yaml: "admin_listen: localhost")
        }
    }

    @Test func flagsOverrideTheFile() throws {
        let file = try Configuration.load(yaml: "access_log_format: logfmt\nadmin_listen: 127.0.0.1:9090\n")
        var overrides = ConfigurationOverrides()
        overrides.accessLogFormat = .json
        overrides.adminListen = ListenAddress(host: "::1", port: 9191)
        let configuration = try overrides.applied(to: file)
        #expect(configuration.accessLogFormat == .json)
        #expect(configuration.adminListen == ListenAddress(host: "::1", port: 9191))
    }

    @Test func printConfigRoundTripsBothSettings() throws {
        var configuration = Configuration()
        configuration.accessLogFormat = .logfmt
        configuration.adminListen = ListenAddress(host: "::1", port: 9090)
        let text = configuration.yamlText
        #expect(text.contains("access_log_format: logfmt\n"))
        #expect(text.contains("admin_listen: \"[::1]:9090\"\n"))
        #expect(try Configuration.load(yaml: text) == configuration)
        #expect(Configuration().yamlText.contains("admin_listen: null\n"))
        #expect(try Configuration.load(yaml: Configuration().yamlText) == Configuration())
    }
}
