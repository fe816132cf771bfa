import Foundation

/// `openssl s_server` on a free loopback port with a given certificate: completes TLS
/// handshakes (or fails them, as the client's verification decides) and answers `GET /` with
/// a status page (`-www`). Stopped on `stop()` or deinit.
final class OpenSSLTestServer: Sendable {
    let port: UInt16
    private let child: ChildProcess

    /// Starts the server with `authority`'s server certificate and key and waits until it
    /// accepts connections.
    /// - Throws: a spawn failure, or `ChildProcess.Failure.failed` when it never listened
    ///   within 10 s (with its stderr).
    init(certificate authority: TestCertificateAuthority) throws {
        port = try FreePort.loopback()
        child = try ChildProcess(executablePath: TestCertificateAuthority.opensslPath, arguments: [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", authority.serverCertificateURL.path,
            "-key", authority.serverKeyURL.path, "-www", "-quiet",
        ])
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, child.isRunning {
            if let socket = try? TestSocket.connectToLoopback(port: port) {
                socket.close()
                return
            }
            TestTime.sleep(.milliseconds(20))
        }
        let standardError = String(decoding: child.standardError(), as: UTF8.self)
        child.stop()
        throw ChildProcess.Failure.failed(
            commandLine: child.commandLine, termination: child.termination ?? .exited(-1), standardError: standardError)
    }

    deinit { stop() }

    func stop() { child.stop() }
}

/// A plain-HTTP server that answers anything with `400 Bad Request` at once and closes, as
/// nginx does with a TLS ClientHello on a plain port (its first byte is no method). At an
/// `https://` upstream URL, the client's TLS layer reads "HTTP/1.1 400" where a TLS record
/// should be. One thread; `stop()` (or deinit) joins it.
final class ImmediateBadRequestServer: Sendable {
    let port: UInt16
    private let listener: TestSocket
    private let thread: TestThread
    private let stopped = Locked(false)

    /// - Throws: `TestSocketError.system` when no loopback port can be bound.
    init() throws {
        let (listener, port) = try TestSocket.listenOnLoopback()
        self.listener = listener
        self.port = port
        thread = TestThread.start {
            while let connection = try? listener.accept(timeout: .seconds(600)) {
                _ = connection.receive(maxByteCount: 4096, timeout: .seconds(5))
                try? connection.sendAll(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                connection.close()
            }
        }
    }

    deinit { stop() }

    /// Stops accepting and joins the thread. Idempotent.
    func stop() {
        guard !stopped.withLock({ stopped in defer { stopped = true }; return stopped }) else { return }
        listener.shutdownBoth()
        thread.join()
        listener.close()
    }
}
