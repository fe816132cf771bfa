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
