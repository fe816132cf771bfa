import CEpoll
import Glibc
import Testing
@testable import ProxyLoop

/// A budget shared by a loop's handlers per turn (as the connections' body bytes are) must
/// not go to the same descriptors every turn: epoll hands level-triggered descriptors back
/// in the same order turn after turn, so the loop dispatches each batch from a rotating index.
/// And readiness other than plain writability (a new request) goes before the descriptors
/// that only wait to write more body.
@Suite struct EventLoopFairnessTests {
    /// One unit of work per loop turn, for whichever handler asks first in that turn.
    final class TurnBudget {
        var turn: UInt64 = .max
        var left = 0

        func take(in loop: EventLoop) -> Bool {
            if turn != loop.turn {
                turn = loop.turn
                left = 1
            }
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }

    /// A descriptor that stays readable (a signalled eventfd never drained): it is ready
    /// every turn. Counts the turns it got the budget; stops the loop after `turns` turns.
    final class AlwaysReady: EventHandler {
        let loop: EventLoop
        let budget: TurnBudget
        let turns: UInt64
        var served = 0

        init(loop: EventLoop, budget: TurnBudget, turns: UInt64) {
            self.loop = loop
            self.budget = budget
            self.turns = turns
        }

        func handleEvents(_ events: EventLoop.Events) {
            if budget.take(in: loop) { served += 1 }
            if loop.turn >= turns { loop.stop() }
        }
    }

    @Test func aPerTurnBudgetReachesEveryReadyDescriptor() throws {
        let loop = try EventLoop(index: 0)
        let budget = TurnBudget()
        let turns: UInt64 = 80
        var descriptors: [Int32] = []
        defer { descriptors.forEach { _ = cep_close($0) } }
        var handlers: [AlwaysReady] = []
        for _ in 0..<8 {
            let fd = cep_eventfd_create()
            try #require(fd >= 0)
            descriptors.append(fd)
            #expect(cep_eventfd_signal(fd) == 0)
            let handler = AlwaysReady(loop: loop, budget: budget, turns: turns)
            handlers.append(handler)
            _ = try loop.register(fd: fd, events: [.readable], handler: handler)
        }
        loop.run()

        let served = handlers.map(\.served)
        #expect(served.reduce(0, +) >= Int(turns) - 1)
        // 80 turns over 8 descriptors: 10 each when the batch rotates by one per turn;
        // without rotation the first descriptor of the batch took all 80.
        #expect(served.allSatisfy { $0 >= 5 }, "budget per descriptor over \(turns) turns: \(served)")
    }

    /// Records the turn and its own label at each dispatch; stops the loop after `turns`.
    final class Recorder: EventHandler {
        let loop: EventLoop
        let label: Character
        let turns: UInt64
        let log: Log

        final class Log {
            var entries: [(turn: UInt64, label: Character)] = []
        }

        init(loop: EventLoop, label: Character, turns: UInt64, log: Log) {
            self.loop = loop
            self.label = label
            self.turns = turns
            self.log = log
        }

        func handleEvents(_ events: EventLoop.Events) {
            log.entries.append((loop.turn, label))
            if loop.turn >= turns { loop.stop() }
        }
    }

    @Test func aReadableDescriptorIsDispatchedBeforeWritableOnesInEveryTurn() throws {
        let loop = try EventLoop(index: 0)
        let log = Recorder.Log()
        let turns: UInt64 = 12
        var descriptors: [Int32] = []
        defer { descriptors.forEach { _ = cep_close($0) } }
        // Three always-writable descriptors (an eventfd's counter is far from full) and one
        // always-readable one, registered in between.
        for (label, events) in [("w", EventLoop.Events.writable), ("w", .writable), ("r", .readable), ("w", .writable)] {
            let fd = cep_eventfd_create()
            try #require(fd >= 0)
            descriptors.append(fd)
            if events == .readable { #expect(cep_eventfd_signal(fd) == 0) }
            _ = try loop.register(fd: fd, events: events, handler: Recorder(loop: loop, label: Character(label), turns: turns, log: log))
        }
        loop.run()

        let byTurn = Dictionary(grouping: log.entries, by: \.turn).mapValues { String($0.map(\.label)) }
        #expect(byTurn.count >= Int(turns) - 1)
        for (turn, order) in byTurn where order.count == 4 {
            #expect(order == "rwww", "turn \(turn) dispatched \(order)")
        }
    }
}
