import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig

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

    /// Out of descriptors, a loop stops watching the shared listening socket for 100 ms (an
    /// `EPOLLEXCLUSIVE` registration cannot be modified, so it is removed and added again);
    /// once descriptors are free again, new clients are accepted.
    @Test func acceptingResumesAfterRunningOutOfFileDescriptors() async throws {
        let cache = try TemporaryDirectory(prefix: "cistern-emfile")
        let port = try FreePort.loopback()
        let child = try ChildProcess(executablePath: "/usr/bin/prlimit", arguments: [
            "--nofile=40", CisternProcess.executablePath, "serve", "--listen", "127.0.0.1:\(port)",
            "--cache-dir", cache.url.path, "--upstream", "http://127.0.0.1:9", "--workers", "1", "--no-access-log",
            "--drain-delay", "0s", "--drain-timeout", "1s",
        ])
        defer { child.stop() }
        var started = false
        let startDeadline = ContinuousClock.now + .seconds(20)
        while !started, ContinuousClock.now < startDeadline, child.isRunning {
            started = (try? TestHTTPClient.fetch(port: port, "/healthz", options: .init(timeout: .seconds(1))))?.statusCode == 200
            if !started { TestTime.sleep(.milliseconds(20)) }
        }
        #expect(started, "\(String(decoding: child.standardError(), as: UTF8.self))")

        // More idle clients than the process has descriptors left.
        var clients: [TestSocket] = []
        for _ in 0..<60 { clients.append(try TestSocket.connectToLoopback(port: port)) }
        let log = { String(decoding: child.standardError(), as: UTF8.self) }
        let pauseDeadline = ContinuousClock.now + .seconds(10)
        while !log().contains("out of file descriptors; pausing accept"), ContinuousClock.now < pauseDeadline {
            TestTime.sleep(.milliseconds(10))
        }
        #expect(log().contains("out of file descriptors; pausing accept"), "\(log())")
        for client in clients { client.close() }

        var answered = false
        let resumeDeadline = ContinuousClock.now + .seconds(10)
        while !answered, ContinuousClock.now < resumeDeadline {
            answered = (try? TestHTTPClient.fetch(port: port, "/healthz", options: .init(timeout: .seconds(1))))?.statusCode == 200
        }
        #expect(answered)
        #expect(child.isRunning)
    }
}
