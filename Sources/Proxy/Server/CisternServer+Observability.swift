import ProxyConfig
import ProxyLoop

/// What the server sets up per loop to observe itself.
extension CisternServer {
    /// Starts `loop`'s lag probe (`cistern_loop_lag_seconds{loop}`), sampling every 100 ms.
    /// The loop's handler table keeps the probe; it ends with the loop.
    /// Call before the loop's thread runs.
    func startLagProbe(on loop: EventLoop) throws {
        let histogram = shared.metrics.loopLag(loop: loop.index)
        try LoopLagProbe(loop: loop) { histogram.record(nanoseconds: $0) }.start()
    }
}

/// The admin address.
extension CisternServer {
    /// The port of the admin address (`--admin-listen`), nil without one or before `start()`.
    public var adminPort: UInt16? { admin?.port }

    /// Binds the admin address when one is configured. Call in `start()` before any loop
    /// thread runs.
    func openAdminListener() throws {
        guard let address = configuration.adminListen else { return }
        admin = try AdminListener(address)
    }

    /// Closes the admin address (queued on its loop). Call in `shutdown()` before the loops stop.
    func stopAdminListener() {
        admin?.stop()
        admin = nil
    }
}
