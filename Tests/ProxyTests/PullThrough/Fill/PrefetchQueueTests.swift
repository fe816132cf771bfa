import Testing
@testable import Proxy
@testable import ProxyPullThrough

/// `PrefetchQueue`: bounded (the newest job is dropped when full), de-duplicated (a key
/// waiting or running is not taken twice), and at most `concurrency` jobs running.
@Suite struct PrefetchQueueTests {
    @Test func aKeyWaitingOrRunningIsNotQueuedTwiceAndIsWelcomeAgainOnceFinished() {
        var queue = PrefetchQueue<String, Int>(capacity: 10, concurrency: 1)
        #expect(queue.enqueue(1, key: "a") == .queued)
        #expect(queue.enqueue(2, key: "a") == .duplicate, "waiting")
        #expect(queue.takeNext()?.job == 1)
        #expect(queue.enqueue(3, key: "a") == .duplicate, "running")
        queue.finished("a")
        #expect(queue.enqueue(4, key: "a") == .queued)
        #expect(queue.waitingCount == 1)
    }

    @Test func aFullQueueDropsTheNewestJob() {
        var queue = PrefetchQueue<Int, Int>(capacity: 3, concurrency: 1)
        for key in 0..<3 { #expect(queue.enqueue(key, key: key) == .queued) }
        #expect(queue.enqueue(3, key: 3) == .dropped)
        #expect(queue.waitingCount == 3)
        #expect(queue.takeNext()?.job == 0, "the oldest jobs are kept, in order")
        #expect(queue.enqueue(4, key: 4) == .queued, "a slot in the queue freed")
        #expect(queue.enqueue(3, key: 3) == .dropped)
    }

    @Test func atMostConcurrencyJobsRunInArrivalOrder() {
        var queue = PrefetchQueue<Int, Int>(capacity: 1000, concurrency: 2)
        for key in 0..<200 { _ = queue.enqueue(key, key: key) }
        var order: [Int] = []
        while let first = queue.takeNext() {
            let second = queue.takeNext()
            #expect(queue.takeNext() == nil, "a third job while two run")
            #expect(queue.running <= 2)
            order.append(first.job)
            queue.finished(first.key)
            if let second {
                order.append(second.job)
                queue.finished(second.key)
            }
        }
        #expect(order == Array(0..<200))
        #expect(queue.waitingCount == 0 && queue.running == 0)
    }
}
