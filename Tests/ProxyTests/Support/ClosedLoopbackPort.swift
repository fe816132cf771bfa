import Glibc

/// A TCP port on 127.0.0.1 that refuses every connection for as long as this value lives: a
/// socket is bound to it but never listens, so connects get RST (ECONNREFUSED) and no other
/// process can take the port meanwhile.
///
/// The tests write it as a client's own registry location, so a client that gives up on its
/// mirror and falls back to "the real registry" fails instead of silently succeeding.
/// The socket is closed on `deinit`. Any thread may use an instance.
final class ClosedLoopbackPort: Sendable {
    /// The port, in 1...65535.
    let port: UInt16
    private let descriptor: Int32

    /// `127.0.0.1:<port>`, as registry locations are written.
    var hostAndPort: String { "127.0.0.1:\(port)" }

    /// Binds a TCP socket to 127.0.0.1:0 without listening on it.
    /// - Throws: `FreePort.Failure` when a socket call fails.
    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw FreePort.Failure.socketFailed(errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 ? getsockname(descriptor, address, &length) : -1
            }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw FreePort.Failure.bindFailed(errno: code)
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }
}
