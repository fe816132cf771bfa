import Testing
@testable import Proxy

/// The drain after SIGTERM as a pure state machine: times are passed in (nanoseconds), so
/// every path is walked without sockets, threads or waiting.
@Suite struct DrainStateMachineTests {
    typealias Machine = DrainStateMachine
    static let second: Int64 = 1_000_000_000

    /// SIGTERM at t=10 s with a 5 s delay and a 30 s timeout.
    private func drainingMachine() -> Machine {
        var machine = Machine()
        #expect(machine.handle(.signalReceived(now: 10 * Self.second, drainDelay: 5 * Self.second, drainTimeout: 30 * Self.second))
                == .startDraining)
        return machine
    }

    @Test func servingIsReadyAndHasNoDeadline() {
        let machine = Machine()
        #expect(machine.isReady)
        #expect(machine.nextDeadline == nil)
        #expect(machine.dueEvent(now: 1_000 * Self.second, isIdle: true) == nil)
    }

    @Test func theFirstSignalStopsReadinessButKeepsAcceptingForTheDelay() {
        let machine = drainingMachine()
        #expect(!machine.isReady)
        #expect(machine.phase == .drainingAccepting(listenersCloseAt: 15 * Self.second, drainTimeout: 30 * Self.second))
        #expect(machine.nextDeadline == 15 * Self.second)
        // Idle or not, nothing is due before the delay: the load balancer must see the 503 first.
        #expect(machine.dueEvent(now: 15 * Self.second - 1, isIdle: true) == nil)
        #expect(machine.dueEvent(now: 15 * Self.second, isIdle: false) == .delayElapsed(now: 15 * Self.second))
    }

    @Test func theDelayClosesTheListenersAndStartsTheTimeout() {
        var machine = drainingMachine()
        #expect(machine.handle(.delayElapsed(now: 15 * Self.second)) == .closeListeners)
        #expect(machine.phase == .drainingClosed(deadline: 45 * Self.second))
        #expect(machine.nextDeadline == 45 * Self.second)
        #expect(!machine.isReady)
    }

    @Test func becomingIdleAfterTheListenersClosedStopsCleanly() {
        var machine = drainingMachine()
        _ = machine.handle(.delayElapsed(now: 15 * Self.second))
        #expect(machine.dueEvent(now: 20 * Self.second, isIdle: false) == nil)
        #expect(machine.dueEvent(now: 20 * Self.second, isIdle: true) == .becameIdle)
        #expect(machine.handle(.becameIdle) == .stop(.drained))
        #expect(machine.phase == .stopped(.drained))
        #expect(machine.nextDeadline == nil)
    }

    @Test func theTimeoutCutsWhatIsStillInFlight() {
        var machine = drainingMachine()
        _ = machine.handle(.delayElapsed(now: 15 * Self.second))
        #expect(machine.dueEvent(now: 45 * Self.second - 1, isIdle: false) == nil)
        #expect(machine.dueEvent(now: 45 * Self.second, isIdle: false) == .timeoutElapsed)
        #expect(machine.handle(.timeoutElapsed) == .stop(.timedOut))
    }

    @Test func idlenessWinsOverATimeoutDueAtTheSameCheck() {
        var machine = drainingMachine()
        _ = machine.handle(.delayElapsed(now: 15 * Self.second))
        #expect(machine.dueEvent(now: 50 * Self.second, isIdle: true) == .becameIdle)
    }

    @Test func aSecondSignalStopsAtOnceInEitherDrainingPhase() {
        var accepting = drainingMachine()
        #expect(accepting.handle(.signalReceived(now: 11 * Self.second, drainDelay: 0, drainTimeout: Self.second)) == .stop(.secondSignal))
        #expect(accepting.phase == .stopped(.secondSignal))

        var closed = drainingMachine()
        _ = closed.handle(.delayElapsed(now: 15 * Self.second))
        #expect(closed.handle(.signalReceived(now: 16 * Self.second, drainDelay: 0, drainTimeout: Self.second)) == .stop(.secondSignal))
    }

    @Test func aZeroDelayClosesTheListenersAtTheFirstCheck() {
        var machine = Machine()
        _ = machine.handle(.signalReceived(now: 7, drainDelay: 0, drainTimeout: Self.second))
        #expect(machine.dueEvent(now: 7, isIdle: true) == .delayElapsed(now: 7))
        #expect(machine.handle(.delayElapsed(now: 7)) == .closeListeners)
        #expect(machine.handle(.becameIdle) == .stop(.drained))
    }

    /// Every event that means nothing in a phase is ignored, and a stopped machine stays stopped.
    @Test func eventsOutOfPlaceChangeNothing() {
        var serving = Machine()
        for event: Machine.Event in [.delayElapsed(now: 1), .becameIdle, .timeoutElapsed] {
            #expect(serving.handle(event) == .none)
            #expect(serving.phase == .serving)
        }
        var accepting = drainingMachine()
        let acceptingPhase = accepting.phase
        for event: Machine.Event in [.delayElapsed(now: 14 * Self.second), .becameIdle, .timeoutElapsed] {
            #expect(accepting.handle(event) == .none)
            #expect(accepting.phase == acceptingPhase)
        }
        var closed = drainingMachine()
        _ = closed.handle(.delayElapsed(now: 15 * Self.second))
        #expect(closed.handle(.delayElapsed(now: 16 * Self.second)) == .none)
        _ = closed.handle(.becameIdle)
        for event: Machine.Event in [.signalReceived(now: 0, drainDelay: 0, drainTimeout: 0), .delayElapsed(now: 1), .becameIdle, .timeoutElapsed] {
            #expect(closed.handle(event) == .none)
            #expect(closed.phase == .stopped(.drained))
        }
    }
}
