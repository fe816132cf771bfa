import CEpoll
import Logging
import ProxyConfig
import ProxyLoop
import ProxyPullThrough
import ProxySystem
import ProxyTransport

/// The admin address (`--admin-listen`, YAML `admin_listen`): a second listening socket,
/// watched by loop 0 only, whose connections are answered by an ``AdminDispatcher``
/// (`/metrics`, `/healthz`, `/readyz`). Its connections have their own ``ConnectionContext``
/// (timeouts, access log and format as on the client address) so that closing them never
/// touches a client's.
///
/// Life: ``open(_:)`` binds before any loop thread runs (a bad address fails start-up, named
/// by its flag), ``start(loop:context:)`` registers on the loop before its thread runs, and
/// ``stop()`` queues the close on the loop. Confinement: `open` and `start` on the server's
/// thread before loop 0 runs; the listener and connections are then loop-confined.
final class AdminListener {
    /// Why the admin address could not be opened.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The listening socket.
    let fd: Int32
    /// The port bound (the kernel's choice for port 0).
    let port: UInt16
    private let address: ListenAddress
    private var bound: LoopBound<(listener: Listener, connections: ConnectionContext)>?

    /// Binds `address`.
    /// - Throws: ``Failure`` naming `admin_listen` (`--admin-listen`) and the reason.
    init(_ address: ListenAddress) throws {
        self.address = address
        do {
            (fd, port) = try ListenSocket.open(address)
        } catch {
            throw Failure(description: "admin_listen (--admin-listen): \(error)")
        }
    }

    /// Registers the listener with `context`'s loop; its connections are answered by an
    /// ``AdminDispatcher``. Call before the loop's thread runs.
    /// - Parameter readiness: what `/readyz` answers (the server's).
    func start(context: LoopContext, configuration: Configuration, readiness: Readiness, logger: Logger) throws {
        let loop = context.loop
        let connections = ConnectionContext(
            loop: loop, timeouts: configuration.timeouts, accessLog: configuration.accessLog,
            metrics: context.shared.metrics, logger: logger,
            makeHandler: { AdminDispatcher(operational: RequestDispatcher(context: context, readiness: readiness, onAdminPort: true)) })
        connections.accessLogFormat = configuration.accessLogFormat
        let listener = Listener(fd: fd, context: connections)
        try listener.start()
        bound = LoopBound((listener, connections), loop: loop)
        logger.info("admin address listening", metadata: [
            "address": "\(ListenAddress(host: address.host, port: port))", "serves": "/metrics /healthz /readyz",
        ])
    }

    /// Takes reloaded client settings for the admin connections (as the client address's
    /// connections take them), on the loop.
    func apply(timeouts: Timeouts, accessLog: Bool) {
        guard let bound else { return }
        bound.loop.execute { bound.value.connections.apply(timeouts: timeouts, accessLog: accessLog) }
    }

    /// Stops watching the socket, closes the admin connections and the socket, on the loop
    /// (queued: runs before a loop stop queued after it). Idempotent.
    func stop() {
        guard let bound else {
            _ = cep_close(fd)
            return
        }
        self.bound = nil
        let fd = fd
        bound.loop.execute {
            bound.value.listener.close()
            bound.value.connections.closeAll()
            _ = cep_close(fd)
        }
    }
}
