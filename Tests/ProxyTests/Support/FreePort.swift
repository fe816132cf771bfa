import Glibc

/// A TCP port on 127.0.0.1 that was free a moment ago: the kernel picked it for a bind to port 0.
///
/// The socket is closed before returning, so another process could take the port before the
/// caller binds it; with the kernel's ephemeral range this is rare, and `RegistryProcess` retries
/// its start on a new port when the bind loses that race.
enum FreePort {
    /// Errors from the socket calls, carrying `errno`.
    enum Failure: Error, Equatable {
        case socketFailed(errno: Int32)
        case bindFailed(errno: Int32)
        case getsocknameFailed(errno: Int32)
    }

    /// Binds a TCP socket to 127.0.0.1:0, reads back the port the kernel chose, closes the socket.
    /// - Returns: the port number, in 1...65535.
    /// - Throws: `Failure` when a socket call fails.
    static func loopback() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure.socketFailed(errno: errno) }
        defer { close(descriptor) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw Failure.bindFailed(errno: errno) }

        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(descriptor, $0, &length)
            }
        }
        guard named == 0 else { throw Failure.getsocknameFailed(errno: errno) }
        return UInt16(bigEndian: address.sin_port)
    }
}
