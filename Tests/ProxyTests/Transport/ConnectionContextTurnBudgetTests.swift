import Foundation
import Logging
import Testing
@testable import Proxy
@testable import ProxyConfig
@testable import ProxyHTTP
@testable import ProxyLoop
@testable import ProxyMetrics
@testable import ProxySystem
@testable import ProxyTransport

/// Issue 19, S1 at N = 10,000: a loop's connections share a budget of body bytes per loop
/// turn; once it is spent, bodies wait for the next turn, which starts with a full budget.
@Suite struct ConnectionContextTurnBudgetTests {
    private struct NoHandler: RequestHandler {
        func handle(_ head: RequestHead, responder: ClientResponder) {}
    }

    @Test func bodyBytesPastTheTurnBudgetWaitForTheNextTurn() throws {
        let running = try TestEventLoop()
        defer { running.stop() }
        let loop = running.loop
        let context = ConnectionContext(loop: loop, timeouts: Timeouts(), accessLog: false, metrics: Metrics(),
                                        logger: Logger(label: "test"), makeHandler: { NoHandler() })
        let budget = ConnectionContext.turnBodyByteBudget
        // One turn: 1 byte short of the budget leaves it open; the last byte closes it.
        let sameTurn = onLoop(loop) { () -> [Bool] in
            var left = [context.turnBodyBudgetLeft]
            context.bodyBytesThisTurn += budget - 1
            left.append(context.turnBodyBudgetLeft)
            context.bodyBytesThisTurn += 1
            left.append(context.turnBodyBudgetLeft)
            return left
        }
        #expect(sameTurn == [true, true, false])
        // The next turn starts from zero.
        let nextTurn = onLoop(loop) { () -> [Int] in
            let open = context.turnBodyBudgetLeft
            return [open ? 1 : 0, context.bodyBytesThisTurn]
        }
        #expect(nextTurn == [1, 0])
        #expect(budget == 8 << 20)
    }
}
