import Logging
import ProxyConfig
import ProxyTransport

/// The TLS listen address's part in a configuration reload (SIGHUP): the certificate chain
/// and key files are read again, and the new pair is served to connections accepted after
/// the reload is accepted; open connections keep theirs. Unusable files refuse the whole
/// reload (the running certificate and configuration stay). The file *paths* are fixed at
/// start-up (`tls` is restart-only in ``Configuration/reloadTable``): renew certificates by
/// replacing the files. Registered by ``CisternServer`` whenever TLS is configured.
///
/// `Sendable`: `context` is itself Sendable (its swap is locked) and `logger` is a value.
final class TLSCertificateReload: Reloadable {
    let context: TLSServerContext
    let logger: Logger

    init(context: TLSServerContext, logger: Logger) {
        self.context = context
        self.logger = logger
    }

    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` under `tls.certificate`
    ///   or `tls.key` when the files on disk are unusable now.
    func prepareReload(to configuration: Configuration) throws -> @Sendable () -> Void {
        let swap: @Sendable () -> Void
        do {
            swap = try context.prepareReload()
        } catch {
            let path = error.faultyFile == "certificate" ? context.certificatePath : context.keyPath
            throw ConfigurationError.invalidValue(key: "tls.\(error.faultyFile)", value: path, reason: "\(error)")
        }
        return { [context, logger] in
            swap()
            logger.notice("TLS certificate reloaded; new connections get it", metadata: ["certificate": "\(context.certificatePath)"])
        }
    }
}
