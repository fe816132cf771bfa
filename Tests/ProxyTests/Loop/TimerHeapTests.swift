import Testing
@testable import Proxy
@testable import ProxyLoop

/// The loop's timer heap without a loop: targets come out in deadline order however they
/// went in, only those due by `now`, each once; a target released before its deadline is
/// skipped without disturbing the others.
@Suite struct TimerHeapTests {
    final class Target: TimerTarget {
        let name: Int
        init(_ name: Int) { self.name = name }
        func timerFired(now: Int64) {}
    }

    private func names(_ targets: [any TimerTarget]) -> [Int] {
        targets.map { ($0 as! Target).name }
    }

    @Test(arguments: [
        [5, 3, 9, 1, 7, 2, 8, 6, 4, 0],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ])
    func expiredTargetsComeOutInDeadlineOrderAndOnlyThoseDue(_ insertionOrder: [Int]) {
        var heap = TimerHeap()
        let targets = (0..<10).map(Target.init)
        for index in insertionOrder { heap.insert(deadline: Int64(100 + index * 10), target: targets[index]) }
        #expect(heap.count == 10 && heap.earliestDeadline == 100)

        var expired: [any TimerTarget] = []
        heap.popExpired(now: 99, into: &expired)
        #expect(expired.isEmpty && heap.count == 10)
        heap.popExpired(now: 140, into: &expired)  // A deadline equal to now is due.
        #expect(names(expired) == [0, 1, 2, 3, 4])
        #expect(heap.earliestDeadline == 150)
        expired.removeAll()
        heap.popExpired(now: 1_000, into: &expired)
        #expect(names(expired) == [5, 6, 7, 8, 9])
        #expect(heap.isEmpty && heap.earliestDeadline == nil)
    }

    @Test func equalDeadlinesAllFireAndAReleasedTargetIsSkipped() {
        var heap = TimerHeap()
        let kept = [Target(1), Target(2), Target(3)]
        for target in kept { heap.insert(deadline: 50, target: target) }
        do {
            let released = Target(99)
            heap.insert(deadline: 40, target: released)
        }
        #expect(heap.count == 4 && heap.earliestDeadline == 40)
        var expired: [any TimerTarget] = []
        heap.popExpired(now: 50, into: &expired)
        #expect(names(expired).sorted() == [1, 2, 3])
        #expect(heap.isEmpty)
    }

    @Test func aTargetArmedTwiceFiresOncePerEntry() {
        var heap = TimerHeap()
        let target = Target(7)
        heap.insert(deadline: 30, target: target)
        heap.insert(deadline: 10, target: target)
        var expired: [any TimerTarget] = []
        heap.popExpired(now: 20, into: &expired)
        #expect(names(expired) == [7])
        #expect(heap.earliestDeadline == 30)
        heap.popExpired(now: 30, into: &expired)
        #expect(names(expired) == [7, 7])
    }
}
