import Foundation
import Testing

/// `deploy/haproxy.cfg` (issue 18 item 1): HAProxy 2.6 accepts it, it runs in the foreground
/// unchanged (no chroot, daemon, user or stats socket), only `bind` and `server` lines are
/// host-specific, and health checks use /readyz with inter x fall below the 5 s drain delay.
@Suite struct HAProxyConfigurationTests {
    @Test func theShippedFileIsValidAndForegroundReady() async throws {
        let text = try String(contentsOf: HAProxyProcess.shippedConfiguration, encoding: .utf8)
        // Throws unless haproxy exits 0 ("Configuration file is valid").
        try await ChildProcess.run(HAProxyProcess.executablePath, ["-c", "-f", HAProxyProcess.shippedConfiguration.path])
        let directives = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for forbidden in ["chroot", "daemon", "user ", "stats socket"] {
            #expect(!directives.contains { $0.hasPrefix(forbidden) }, "\(forbidden)")
        }
        for required in ["hash-type consistent", "balance hash var(txn.shard)", "http-check send meth GET uri /readyz",
                         "retries 3", "option redispatch 1", "default-server inter 1s fall 2 rise 1 check"] {
            #expect(directives.contains(required), "\(required)")
        }
        #expect(directives.filter { $0.hasPrefix("bind ") } == ["bind :5000"])
        #expect(directives.filter { $0.hasPrefix("server ") }.allSatisfy { !$0.contains(" check") && $0.split(separator: " ").count == 3 })
    }
}
