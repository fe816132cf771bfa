/// The graceful stop after SIGTERM (or SIGINT), as a pure state machine: events in,
/// actions out, times as monotonic nanoseconds passed in (so tests move time by hand).
///
/// ```
/// serving ──signal──▶ draining(accepting) ──delay elapsed──▶ draining(listeners closed) ──idle──▶ stopped(drained)
///                        │                                       │ timeout elapsed ─────────────▶ stopped(timedOut)
///                        └──────── second signal ────────────────┴──────────────────────────────▶ stopped(secondSignal)
/// ```
/// While accepting, `/readyz` already answers 503, so a load balancer's health check takes
/// the instance out before its connections are refused. Once the listeners are closed, the
/// responses in flight and the running fills get `drainTimeout` to end. "Idle" (no client
/// connection open, no fill running) ends the drain only after the listeners closed: the
/// load balancer must have had its `drainDelay` to see the 503.
struct DrainStateMachine: Equatable {
    /// Where the process is in its life.
    enum Phase: Equatable {
        /// Accepting and ready (`/readyz` 200).
        case serving
        /// Still accepting, `/readyz` 503, until `listenersCloseAt`; then `drainTimeout`
        /// nanoseconds for what is in flight.
        case drainingAccepting(listenersCloseAt: Int64, drainTimeout: Int64)
        /// Listeners closed; waiting for connections and fills to end until `deadline`.
        case drainingClosed(deadline: Int64)
        /// Done: the process exits.
        case stopped(StopReason)
    }

    /// Why the process stops.
    enum StopReason: Equatable {
        /// Everything in flight ended: the clean stop.
        case drained
        /// `drain_timeout` passed with responses or fills still running: they are cut.
        case timedOut
        /// A second SIGTERM or SIGINT during the drain: stop at once.
        case secondSignal
    }

    /// What happened.
    enum Event: Equatable {
        /// SIGTERM or SIGINT at `now`, with the drain settings in force then (nanoseconds).
        case signalReceived(now: Int64, drainDelay: Int64, drainTimeout: Int64)
        /// The drain delay has passed (see ``dueEvent(now:isIdle:)``).
        case delayElapsed(now: Int64)
        /// No client connection is open and no fill runs.
        case becameIdle
        /// The drain timeout has passed.
        case timeoutElapsed
    }

    /// What the server must do.
    enum Action: Equatable {
        /// Nothing.
        case none
        /// Answer `/readyz` 503, close idle keep-alive connections, and end every later
        /// response with `Connection: close`.
        case startDraining
        /// Close the listening socket (new connections are refused) and the connections
        /// accepted meanwhile that are idle.
        case closeListeners
        /// Stop the loops and exit; what is still open is cut unless the reason is `.drained`.
        case stop(StopReason)
    }

    private(set) var phase = Phase.serving

    /// Takes one event; returns what to do. Events that mean nothing in the current phase
    /// (idle while still accepting, a late timer) return `.none`.
    mutating func handle(_ event: Event) -> Action {
        switch (phase, event) {
        case (.serving, .signalReceived(let now, let delay, let timeout)):
            phase = .drainingAccepting(listenersCloseAt: now + max(0, delay), drainTimeout: max(0, timeout))
            return .startDraining
        case (.serving, .delayElapsed), (.serving, .becameIdle), (.serving, .timeoutElapsed):
            return .none
        case (.drainingAccepting, .signalReceived), (.drainingClosed, .signalReceived):
            phase = .stopped(.secondSignal)
            return .stop(.secondSignal)
        case (.drainingAccepting(let closeAt, let timeout), .delayElapsed(let now)):
            guard now >= closeAt else { return .none }
            phase = .drainingClosed(deadline: now + timeout)
            return .closeListeners
        case (.drainingAccepting, .becameIdle), (.drainingAccepting, .timeoutElapsed):
            return .none
        case (.drainingClosed, .becameIdle):
            phase = .stopped(.drained)
            return .stop(.drained)
        case (.drainingClosed, .timeoutElapsed):
            phase = .stopped(.timedOut)
            return .stop(.timedOut)
        case (.drainingClosed, .delayElapsed):
            return .none
        case (.stopped, _):
            return .none
        }
    }

    /// The event time or idleness makes due now, if any: the delay's end while accepting;
    /// idleness, else the deadline, once the listeners are closed.
    func dueEvent(now: Int64, isIdle: Bool) -> Event? {
        switch phase {
        case .serving, .stopped:
            return nil
        case .drainingAccepting(let closeAt, _):
            return now >= closeAt ? .delayElapsed(now: now) : nil
        case .drainingClosed(let deadline):
            if isIdle { return .becameIdle }
            return now >= deadline ? .timeoutElapsed : nil
        }
    }

    /// When time alone next makes an event due (nil: no deadline pending).
    var nextDeadline: Int64? {
        switch phase {
        case .serving, .stopped: nil
        case .drainingAccepting(let closeAt, _): closeAt
        case .drainingClosed(let deadline): deadline
        }
    }

    /// True while `/readyz` must answer 200.
    var isReady: Bool { phase == .serving }
}
