import Foundation
import Testing
@testable import Proxy

/// The addresses Cistern listens on (issue 10, item 5): a host name is resolved, or the error
/// says it does not resolve. (IPv6 listeners: `AccessLogProcessTests`.)
@Suite(.serialized) struct ListeningTests {
    @Test func aHostNameIsResolvedToListenOn() throws {
        let cistern = try CisternInstance(upstreams: [("a", "http://127.0.0.1:9")]) { configuration in
            configuration.listen = ListenAddress(host: "localhost", port: 0)
        }
        defer { cistern.stop() }
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/healthz").statusCode == 200)
    }

    @Test func aHostNameThatDoesNotResolveIsRefusedSayingSo() {
        do {
            let cistern = try CisternInstance(upstreams: [("a", "http://127.0.0.1:9")]) { configuration in
                configuration.listen = ListenAddress(host: "no-such-host.invalid", port: 0)
            }
            cistern.stop()
            Issue.record("started on an unresolvable host")
        } catch {
            #expect("\(error)".hasPrefix("cannot listen on host no-such-host.invalid: it does not resolve ("), "\(error)")
        }
    }
}
