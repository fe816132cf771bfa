import CEpoll
import Glibc
import ProxyConfig
import ProxyLoop
import ProxySystem
import Synchronization

/// Running as a service: signals in, the drain (``DrainStateMachine``) driven, reloads on
/// SIGHUP.
extension CisternServer {
    /// How often idleness is checked while draining (connections and fills are counted,
    /// not notified).
    static let drainPollMilliseconds: Int32 = 20

    /// Runs until SIGTERM or SIGINT has drained the server, then shuts it down:
    /// `/readyz` turns 503 at once; new connections are still accepted for `drain_delay`
    /// (a load balancer's health check sees the 503 first); then the listening socket is
    /// closed; the responses in flight and the running fills get `drain_timeout` to end,
    /// and idle keep-alive connections are closed. A second SIGTERM or SIGINT, or the
    /// timeout, stops at once. SIGHUP calls `reloadConfiguration` and applies its result
    /// (``reload(to:)``); a reload that throws is refused with an error log line and the
    /// running configuration stays.
    /// - Parameter reloadConfiguration: reads the configuration again (the `--config` file
    ///   merged with the same flags); nil ignores SIGHUP with a warning.
    /// - Throws: what `start()` throws, or `SystemError` when the signalfd cannot be made.
    public func run(reloadConfiguration: (() throws -> Configuration)? = nil) throws {
        // Block the signals before any loop thread exists, so that every
        // thread inherits the mask and only the signalfd sees them.
        let signalFD = try SystemError.check(cep_signalfd_create(), "signalfd")
        defer { _ = cep_close(signalFD) }
        try start()
        var drain = DrainStateMachine()
        var stopReason: DrainStateMachine.StopReason?
        var entry = pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)
        while stopReason == nil {
            let timeout = drain.nextDeadline == nil ? -1 : Self.drainPollMilliseconds
            if poll(&entry, 1, timeout) > 0 {
                while stopReason == nil, case let signal = cep_signalfd_read(signalFD), signal > 0 {
                    if signal == SIGHUP {
                        reload(reloadConfiguration)
                        continue
                    }
                    let settings = currentConfiguration
                    let action = drain.handle(.signalReceived(
                        now: MonotonicClock.now(), drainDelay: MonotonicClock.nanoseconds(settings.drainDelay),
                        drainTimeout: MonotonicClock.nanoseconds(settings.drainTimeout)))
                    stopReason = perform(action, signal: signal)
                }
            }
            while stopReason == nil, let event = drain.dueEvent(now: MonotonicClock.now(), isIdle: isIdle) {
                stopReason = perform(drain.handle(event), signal: nil)
            }
        }
        shutdown()
    }

    /// No client connection open and no fill running.
    private var isIdle: Bool { census.openCount == 0 && shared.fills.count == 0 }

    /// Does what the drain asks; returns the stop reason once it says stop.
    private func perform(_ action: DrainStateMachine.Action, signal: Int32?) -> DrainStateMachine.StopReason? {
        switch action {
        case .none:
            return nil
        case .startDraining:
            let settings = currentConfiguration
            logger.notice("draining: /readyz answers 503; still accepting for drain_delay, then finishing what is in flight", metadata: [
                "signal": "\(signal.map(Self.signalName) ?? "-")", "drain_delay": "\(settings.drainDelay.configurationText)",
                "drain_timeout": "\(settings.drainTimeout.configurationText)",
            ])
            beginDraining()
            return nil
        case .closeListeners:
            closeListeners()
            logger.notice("listening socket closed; waiting for responses and fills in flight", metadata: [
                "connections": "\(census.openCount)", "fills": "\(shared.fills.count)",
            ])
            return nil
        case .stop(let reason):
            switch reason {
            case .drained:
                logger.notice("drained; stopping")
            case .timedOut:
                logger.warning("drain_timeout passed; cutting what is still in flight", metadata: [
                    "connections": "\(census.openCount)", "fills": "\(shared.fills.count)",
                ])
            case .secondSignal:
                logger.warning("second signal while draining; stopping at once", metadata: [
                    "signal": "\(signal.map(Self.signalName) ?? "-")", "connections": "\(census.openCount)",
                    "fills": "\(shared.fills.count)",
                ])
            }
            return reason
        }
    }

    /// `/readyz` answers 503 from now on, and every loop drains its connections (each
    /// response says `Connection: close`; idle keep-alive connections close now).
    func beginDraining() {
        readiness.set(false)
        for connections in connectionContexts {
            connections.loop.execute { connections.beginDraining() }
        }
    }

    /// Stops every loop watching the listening socket, waits until each did, then closes
    /// the socket: the kernel refuses new connections from then on. Connections accepted
    /// meanwhile that are idle are closed too.
    func closeListeners() {
        guard listenFD >= 0 else { return }
        let barrier = LoopBarrier(count: listeners.count)
        for (listener, connections) in zip(listeners, connectionContexts) {
            listener.loop.execute {
                listener.value.close()
                connections.beginDraining()
                barrier.arrive()
            }
        }
        barrier.wait()
        _ = cep_close(listenFD)
        listenFD = -1
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "\(signal)"
        }
    }
}

/// Waits until `count` loop tasks have run.
///
/// Any thread: an atomic count and a condition variable; `wait` holds no lock while tasks run.
private final class LoopBarrier: Sendable {
    private let remaining: Atomic<Int>
    private let condition = Condition()

    init(count: Int) {
        remaining = Atomic(count)
    }

    func arrive() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { condition.signal() }
    }

    func wait() {
        condition.wait { remaining.load(ordering: .acquiring) <= 0 }
    }
}
