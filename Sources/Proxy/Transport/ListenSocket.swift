import CEpoll
import Glibc
import ProxyConfig
import ProxySystem

/// The process's one listening socket, shared by every loop.
///
/// Why one socket and not one `SO_REUSEPORT` socket per loop: the kernel lets any socket of
/// the same user join a `SO_REUSEPORT` group, so a second Cistern started on the same address
/// bound silently and the kernel split the clients between the two processes (two instances
/// with different upstreams answered `503 503 503 200 200 200 …`). No option limits the group
/// to one process, and a lock beside the port is only as good as every instance's honesty.
/// A socket bound *without* `SO_REUSEPORT` is exclusive: a second bind fails with
/// `EADDRINUSE`, at once, in whichever process comes second. Each loop registers the shared
/// descriptor with `EPOLLEXCLUSIVE`, so a new connection wakes one idle loop rather than all
/// of them (loops busy with work are not in `epoll_wait` and are not picked); an accept that
/// loses the race gets `EAGAIN`. `SO_REUSEADDR` stays, so a restart binds while old
/// connections sit in TIME_WAIT.
package enum ListenSocket {
    /// Why the listening socket could not be opened.
    struct Failure: Error, CustomStringConvertible {
        /// The operator-facing reason, naming the address.
        let description: String
    }

    /// Resolves `address.host` (an IP literal or a host name; for a name, its first IPv4
    /// address, else its first IPv6 address, as `getaddrinfo` lists them), binds and listens.
    /// - Returns: the non-blocking, close-on-exec descriptor and the port bound (the kernel's
    ///   choice when `address.port` is 0).
    /// - Throws: `Failure` naming the address: the name does not resolve, the address is in
    ///   use (another process listens there), or any other bind/listen error.
    package static func open(_ address: ListenAddress, backlog: Int32 = 4096) throws -> (fd: Int32, port: UInt16) {
        let host = try numericHost(address.host)
        let fd = cep_tcp_listen(host, address.port, backlog, 0)
        if fd == -EADDRINUSE {
            throw Failure(description: "cannot listen on \(address): the address is in use (is another Cistern already running there?)")
        }
        if fd < 0 {
            throw Failure(description: "cannot listen on \(address): \(SystemError(code: -fd, operation: "bind").description)")
        }
        let port = cep_socket_local_port(fd)
        guard port >= 0 else {
            _ = cep_close(fd)
            throw Failure(description: "cannot listen on \(address): \(SystemError(code: -port, operation: "getsockname").description)")
        }
        return (fd, UInt16(port))
    }

    /// `host` itself when it is an IP literal, else its first resolved address as text.
    private static func numericHost(_ host: String) throws -> String {
        var scratch = in6_addr()
        if inet_pton(AF_INET, host, &scratch) == 1 || inet_pton(AF_INET6, host, &scratch) == 1 { return host }
        var raw = [UInt8](repeating: 0, count: 16 * 8)
        var families = [Int32](repeating: 0, count: 8)
        let count = raw.withUnsafeMutableBufferPointer { addresses in
            families.withUnsafeMutableBufferPointer { cep_resolve(host, addresses.baseAddress, $0.baseAddress, 8) }
        }
        guard count > 0 else {
            let reason = count <= -1000 ? String(cString: gai_strerror(count + 1000)) : "no addresses"
            throw Failure(description: "cannot listen on host \(host): it does not resolve (\(reason))")
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(families[0], raw, &text, socklen_t(text.count)) != nil else {
            throw Failure(description: "cannot listen on host \(host): unusable address")
        }
        return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
