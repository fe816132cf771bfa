/// A binary min-heap of (deadline, target) pairs: the loop's timers.
///
/// Deadlines are monotonic nanoseconds. Targets are held weakly; an entry
/// whose target is gone is dropped when it reaches the top. Confinement: owned
/// by one `EventLoop`, touched only on its thread.
struct TimerHeap {
    private struct Entry {
        var deadline: Int64
        weak var target: (any TimerTarget)?
    }

    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    /// The earliest deadline, if any.
    var earliestDeadline: Int64? { entries.first?.deadline }

    mutating func insert(deadline: Int64, target: any TimerTarget) {
        entries.append(Entry(deadline: deadline, target: target))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if entries[parent].deadline <= entries[child].deadline { break }
            entries.swapAt(parent, child)
            child = parent
        }
    }

    /// Removes and returns every target whose deadline is `<= now`.
    mutating func popExpired(now: Int64, into expired: inout [any TimerTarget]) {
        while let first = entries.first, first.deadline <= now {
            let target = first.target
            removeFirst()
            if let target { expired.append(target) }
        }
    }

    private mutating func removeFirst() {
        let last = entries.removeLast()
        guard !entries.isEmpty else { return }
        entries[0] = last
        var parent = 0
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
