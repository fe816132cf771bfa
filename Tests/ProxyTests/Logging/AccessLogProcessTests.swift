import Foundation
import Glibc
import Testing

/// The access log as the `cistern` process writes it (issue 10, item 5): every line starts with
/// a timestamp, names the client's address as it connected (IPv6 included, through a `[::]`
/// listener), and carries no credential the request had in its target or header fields.
@Suite(.serialized) struct AccessLogProcessTests {
    /// `[::]` accepts IPv6 and IPv4 clients; the access log shows each as it connected, with a
    /// timestamp first, and none of the credentials in the target or the header fields.
    @Test func anIPv6ListenerServesBothFamiliesAndTheAccessLogNamesThemWithoutCredentials() async throws {
        let cache = try TemporaryDirectory(prefix: "cistern-ipv6")
        let port = try FreePort.loopback()
        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: [
            "serve", "--listen", "[::]:\(port)", "--cache-dir", cache.url.path, "--upstream", "http://127.0.0.1:9",
            "--workers", "2", "--drain-delay", "0s",
        ])
        defer { child.stop() }
        var answer = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, child.isRunning {
            answer = Self.ipv6LoopbackRequest(port: port, target: "/healthz?ns=a&access_token=SECRET1")
            if answer.hasPrefix("HTTP/1.1 200") { break }
            TestTime.sleep(.milliseconds(20))
        }
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        let ipv4 = try TestHTTPClient.fetch(port: port, "/healthz", headers: [("Cookie", "session=SECRET3")])
        #expect(ipv4.statusCode == 200)
        child.send(signal: SIGTERM)
        #expect(try await child.waitUntilExit(timeout: .seconds(10)) == .exited(0))

        let log = String(decoding: child.standardError(), as: UTF8.self)
        let accessLines = log.split(separator: "\n").filter { $0.contains(" GET /healthz") }
        #expect(accessLines.count == 2, "\(log)")
        let timestamp = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /#
        for line in accessLines {
            #expect(line.prefixMatch(of: timestamp) != nil, "\(line)")
        }
        #expect(accessLines.contains { $0.contains("Z [::1]:") && $0.contains(" GET /healthz?ns=a&access_token=REDACTED 200 ") },
                "\(log)")
        #expect(accessLines.contains { $0.contains("Z 127.0.0.1:") && $0.contains(" GET /healthz 200 ") }, "\(log)")
        #expect(!log.contains("SECRET"), "\(log)")
    }

    /// One request over IPv6 to [::1]:`port` with an Authorization header; the response's
    /// text, or "" when the connection failed.
    private static func ipv6LoopbackRequest(port: UInt16, target: String) -> String {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_loopback
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        guard connected == 0 else { return "" }
        let request = Array("GET \(target) HTTP/1.1\r\nHost: [::1]\r\nAuthorization: Bearer SECRET2\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return "" }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 65_536 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
