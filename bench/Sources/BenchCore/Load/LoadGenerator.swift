import CEpoll
import Glibc

/// The load generator: drives `plan.connections` HTTP/1.1 keep-alive connections from the
/// calling thread on one edge-triggered epoll loop, records TTFB and TTLB per request in
/// HdrHistograms, and verifies or discards bodies. Nothing on the per-request path
/// allocates beyond the response head bytes, and nothing uses Foundation.
///
/// Confinement: create and `run` on one thread; not Sendable.
public final class LoadGenerator {
    let plan: LoadPlan
    let poller = Poller(capacity: 1024)
    var connections: [LoadConnection] = []
    var result = LoadResult()
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
    var address = [UInt8](repeating: 0, count: 4)

    private let rendered: [(bytes: [UInt8], verify: String?, isHead: Bool)]
    private let leaderRendered: (bytes: [UInt8], verify: String?, isHead: Bool)?
    private let backgroundRendered: (bytes: [UInt8], verify: String?, isHead: Bool)?

    var connectQueue: [Int] = []
    var connectQueueHead = 0
    var pendingConnects = 0
    var idle: [Int] = []
    var backlog: [Int64] = []
    var backlogHead = 0
    var inFlight = 0
    var measuredActive = 0
    var mainDone = false
    var startNs: Int64 = 0
    var issueEndNs: Int64 = .max
    var capNs: Int64 = .max
    var nextDueNs: Int64 = .max
    var intervalNs: Double = 0
    var followersStartNs: Int64 = .max
    var lastCompletionNs: Int64 = 0
    var pendingReads: [LoadConnection] = []

    /// Called once the measured workload is done, before any connection is closed, with the
    /// number of connections still open (memory per idle connection is measured here).
    public var onHold: ((Int) -> Void)?

    /// Prepares a run of `plan`.
    /// - Throws: `BenchError.invalid` for an empty plan or a host that is not an IPv4 literal.
    public init(plan: LoadPlan) throws {
        guard !plan.requests.isEmpty, plan.connections >= 1 else { throw BenchError.invalid("a load plan needs requests and connections") }
        self.plan = plan
        func render(_ request: LoadRequest) -> (bytes: [UInt8], verify: String?, isHead: Bool) {
            (request.headBytes(host: plan.host, port: plan.port), request.expectedHex, request.method == .head)
        }
        rendered = plan.requests.map(render)
        leaderRendered = plan.leaderRequest.map(render)
        backgroundRendered = plan.backgroundRequest.map(render)
        guard inet_pton(AF_INET, plan.host, &address) == 1 else { throw BenchError.invalid("not an IPv4 address: \(plan.host)") }
    }

    deinit { readBuffer.deallocate() }

    /// Runs the plan to completion (or to the time cap) and returns what it measured.
    public func run() -> LoadResult {
        LoadGenerator.raiseDescriptorLimit()
        let cpuStart = LoadGenerator.threadCPUNs()
        for slot in 0..<plan.connections {
            connections.append(LoadConnection(slot: slot, role: slot == 0 ? .leader : .follower))
        }
        measuredActive = plan.leader == .normal || plan.waitForLeader ? plan.connections : plan.connections - 1
        if backgroundRendered != nil {
            for i in 0..<plan.backgroundConnections {
                connections.append(LoadConnection(slot: plan.connections + i, role: .background))
            }
        }
        startNs = BenchClock.nowNs()
        capNs = startNs + plan.timeCapNs
        if case .open(let rate) = plan.mode {
            preconnect()
            startNs = BenchClock.nowNs()
            intervalNs = 1e9 / rate
            nextDueNs = startNs
            capNs = startNs + plan.timeCapNs
        } else {
            if plan.preconnect {
                preconnect()
                startNs = BenchClock.nowNs()
                capNs = startNs + plan.timeCapNs
            }
            startExchange(connections[0], startNs: startNs)
            followersStartNs = startNs + plan.followersDelayNs
        }
        issueEndNs = plan.durationNs > 0 ? startNs + plan.durationNs : .max
        for connection in connections where connection.role == .background {
            startExchange(connection, startNs: startNs)
        }
        loop()
        result.wallNs = max(1, (lastCompletionNs > 0 ? lastCompletionNs : BenchClock.nowNs()) - startNs)
        onHold?(connections.filter { $0.fd >= 0 }.count)
        for connection in connections where connection.fd >= 0 { closeSocket(connection) }
        result.cpuNs = LoadGenerator.threadCPUNs() - cpuStart
        return result
    }

    private func loop() {
        while !mainDone {
            let now = BenchClock.nowNs()
            if now >= capNs {
                result.capped = true
                result.unfinished = connections.filter { isMeasured($0) && $0.phase != .finished && $0.phase != .idle }.count
                    + (backlog.count - backlogHead)
                return
            }
            if now >= followersStartNs {
                followersStartNs = .max
                for connection in connections where connection.role == .follower {
                    startExchange(connection, startNs: now)
                }
            }
            if case .open = plan.mode { dispatchDue(now: now) }
            let leader = connections[0]
            if leader.resumeAtNs <= now {
                leader.resumeAtNs = .max
                readResponse(leader)
            }
            let deadline = pendingReads.isEmpty
                ? min(capNs, followersStartNs, leader.resumeAtNs, nextDueNs < issueEndNs ? nextDueNs : .max)
                : Poller.immediately
            let count = poller.wait(untilNs: deadline)
            for i in 0..<count {
                let token = poller.readyTokens[i]
                if token == Poller.timerToken { continue }
                let slot = Int(truncatingIfNeeded: token & 0xffff_ffff)
                let connection = connections[slot]
                guard UInt32(truncatingIfNeeded: token >> 32) == connection.generation, connection.fd >= 0 else { continue }
                handle(connection, events: poller.readyBits[i])
            }
            // Connections that hit their read budget go after everything that was ready.
            if !pendingReads.isEmpty {
                let batch = pendingReads
                pendingReads.removeAll(keepingCapacity: true)
                for connection in batch {
                    connection.isPendingRead = false
                    if connection.fd >= 0 { readResponse(connection) }
                }
            }
            checkOpenLoopDone()
        }
    }

    /// Open loop: queues every request whose due time passed and hands queued requests to
    /// idle connections, oldest first; each is timed from when it was due.
    private func dispatchDue(now: Int64) {
        while nextDueNs <= now, nextDueNs < issueEndNs {
            backlog.append(nextDueNs)
            nextDueNs = startNs + Int64(Double(backlog.count) * intervalNs)
        }
        while backlogHead < backlog.count, let slot = idle.popLast() {
            let due = backlog[backlogHead]
            backlogHead += 1
            inFlight += 1
            startExchange(connections[slot], startNs: due)
        }
    }

    private func checkOpenLoopDone() {
        guard case .open = plan.mode else { return }
        if nextDueNs >= issueEndNs, backlogHead == backlog.count, inFlight == 0 { mainDone = true }
    }

    /// Open loop: connects every connection before the clock starts.
    private func preconnect() {
        for connection in connections where connection.role != .background {
            connectQueue.append(connection.slot)
        }
        pumpConnects()
        while pendingConnects > 0 || connectQueueHead < connectQueue.count {
            if BenchClock.nowNs() >= capNs { return }
            let count = poller.wait(untilNs: capNs)
            for i in 0..<count where poller.readyTokens[i] != Poller.timerToken {
                let connection = connections[Int(truncatingIfNeeded: poller.readyTokens[i] & 0xffff_ffff)]
                if connection.phase == .connecting { connected(connection, events: poller.readyBits[i]) }
            }
        }
    }

    /// Starts `connection`'s next exchange, timed from `startNs`.
    func startExchange(_ connection: LoadConnection, startNs: Int64) {
        let request: (bytes: [UInt8], verify: String?, isHead: Bool)
        switch connection.role {
        case .leader where leaderRendered != nil: request = leaderRendered!
        case .background: request = backgroundRendered!
        default: request = rendered[connection.requestIndex % rendered.count]
        }
        connection.requestIndex += 1
        connection.beginExchange(rendered: request.bytes, verifyHex: request.verify, isHead: request.isHead, startNs: startNs)
        if connection.role == .leader { connection.readStartNs = startNs; connection.readTotal = 0 }
        if connection.fd < 0 {
            connection.phase = .connecting
            connectQueue.append(connection.slot)
            pumpConnects()
        } else {
            connection.phase = .writing
            writeRequest(connection)
        }
    }

    /// Opens queued connections while fewer than `maxPendingConnects` are in flight.
    func pumpConnects() {
        while pendingConnects < plan.maxPendingConnects, connectQueueHead < connectQueue.count {
            let connection = connections[connectQueue[connectQueueHead]]
            connectQueueHead += 1
            let fd = address.withUnsafeBufferPointer { cep_tcp_connect(AF_INET, $0.baseAddress, plan.port) }
            if fd < 0 { exchangeFailed(connection); continue }
            connection.fd = fd
            connection.generation &+= 1
            connection.phase = .connecting
            poller.add(fd: fd, events: CEP_EPOLLIN | CEP_EPOLLOUT | CEP_EPOLLRDHUP | CEP_EPOLLET, token: connection.token)
            pendingConnects += 1
        }
        if connectQueueHead == connectQueue.count {
            connectQueue.removeAll(keepingCapacity: true)
            connectQueueHead = 0
        }
    }

    static func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    static func threadCPUNs() -> Int64 {
        var usage = rusage()
        _ = linux_getrusage(1, &usage)
        let user = Int64(usage.ru_utime.tv_sec) * 1_000_000_000 + Int64(usage.ru_utime.tv_usec) * 1000
        let system = Int64(usage.ru_stime.tv_sec) * 1_000_000_000 + Int64(usage.ru_stime.tv_usec) * 1000
        return user + system
    }
}
