import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP forward proxy on 127.0.0.1 (test support), enough for Cistern's egress:
/// `CONNECT host:port` opens a tunnel; an absolute-form request (`GET http://host:port/…`)
/// is relayed as it came. Host names are looked up in `hosts` only (a name missing there is
/// answered 502), so an upstream named `registry.invalid` is reachable through this proxy
/// and from nowhere else. With `requiredAuthorization`, a request without that exact
/// `Proxy-Authorization` value gets 407.
///
/// Each connection has its own thread; `stop()` joins them all.
final class ForwardProxy: Sendable {
    /// One request head the proxy received.
    struct Request: Sendable, Equatable {
        /// The request line, e.g. `CONNECT registry.invalid:5000 HTTP/1.1`.
        var line: String
        var proxyAuthorization: String?
    }

    let port: UInt16
    private let listener: TestSocket
    private let hosts: [String: String]
    private let requiredAuthorization: String?
    private let state = Locked(State())

    private struct State {
        var requests: [Request] = []
        var threads: [TestThread] = []
        var isStopping = false
    }

    /// - Parameters:
    ///   - hosts: name → IPv4 address the proxy connects to for it.
    ///   - requiredAuthorization: the `Proxy-Authorization` value to insist on (nil: none).
    init(hosts: [String: String], requiredAuthorization: String? = nil) throws {
        (listener, port) = try TestSocket.listenOnLoopback()
        self.hosts = hosts
        self.requiredAuthorization = requiredAuthorization
        let thread = TestThread.start { [self] in acceptConnections() }
        state.withLock { $0.threads.append(thread) }
    }

    /// The request heads received so far, in order.
    var requests: [Request] { state.withLock { $0.requests } }

    func stop() {
        state.withLock { $0.isStopping = true }
        listener.shutdownBoth()
        while let thread = state.withLock({ $0.threads.popLast() }) { thread.join() }
    }

    private var isStopping: Bool { state.withLock { $0.isStopping } }

    private func acceptConnections() {
        defer { listener.close() }
        while !isStopping {
            guard let accepted = try? listener.accept(timeout: .milliseconds(50)) else {
                if isStopping { return }
                continue
            }
            let thread = TestThread.start { [self] in
                serve(accepted)
                accepted.close()
            }
            state.withLock { $0.threads.append(thread) }
        }
    }

    private func serve(_ client: TestSocket) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(10)
        var headEnd: Int?
        while headEnd == nil, ContinuousClock.now < deadline, !isStopping, received.count < 65_536 {
            switch client.receive(maxByteCount: 16_384, timeout: .milliseconds(100)) {
            case .bytes(let bytes): received += bytes
            case .timedOut: continue
            case .endOfStream, .reset, .failed: return
            }
            headEnd = Self.endOfHead(received)
        }
        guard let headEnd else { return }
        let head = String(decoding: received[..<headEnd], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let authorization = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
        state.withLock { $0.requests.append(Request(line: lines[0], proxyAuthorization: authorization)) }
        if let requiredAuthorization, authorization != requiredAuthorization {
            try? client.sendAll(Array("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3 else { return }
        let isConnect = parts[0] == "CONNECT"
        let authority = isConnect ? String(parts[1]) : Self.authority(ofAbsoluteURL: String(parts[1]))
        guard let authority, let colon = authority.lastIndex(of: ":"), let targetPort = UInt16(authority[authority.index(after: colon)...]),
              let address = hosts[String(authority[..<colon])], address == "127.0.0.1",
              let target = try? TestSocket.connectToLoopback(port: targetPort) else {
            try? client.sendAll(Array("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        defer { target.close() }
        if isConnect {
            guard (try? client.sendAll(Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8))) != nil else { return }
            if received.count > headEnd + 4, (try? target.sendAll(Array(received[(headEnd + 4)...]))) == nil { return }
        } else {
            guard (try? target.sendAll(received)) != nil else { return }
        }
        relay(client, target)
    }

    /// Copies bytes both ways until both sides closed, one reset, or `stop()`.
    private func relay(_ first: TestSocket, _ second: TestSocket) {
        var entries = [pollfd(fd: first.descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: second.descriptor, events: Int16(POLLIN), revents: 0)]
        let sockets = [first, second]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !isStopping, entries.contains(where: { $0.fd >= 0 }) {
            guard poll(&entries, 2, 100) > 0 else { continue }
            for index in 0..<2 where entries[index].fd >= 0 && entries[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { recv(entries[index].fd, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    if (try? sockets[1 - index].sendAll(buffer[0..<count])) == nil { return }
                } else if count == 0 {
                    sockets[1 - index].shutdownWrite()
                    entries[index].fd = -1
                } else if errno != EINTR && errno != EAGAIN {
                    return
                }
            }
        }
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// `host:port` of `http://host:port/…` (port 80 when absent).
    private static func authority(ofAbsoluteURL url: String) -> String? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let authority = rest.prefix { $0 != "/" }
        return authority.contains(":") ? String(authority) : "\(authority):80"
    }
}
