import CEpoll
import Glibc
import Testing
@testable import ProxyLoop

/// A budget shared by a loop's handlers per turn (as the connections' body bytes are) must
/// not go to the same descriptors every turn: epoll hands level-triggered descriptors back
/// in the same order turn after turn, so the loop dispatches each batch from a rotating index.
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
}
