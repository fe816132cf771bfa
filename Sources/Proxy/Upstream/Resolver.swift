import CEpoll
import Glibc
import ProxyLoop
import ProxySystem

/// A resolved address: family (`AF_INET`/`AF_INET6`) and 16 address bytes
/// (IPv4 in the first four).
public struct ResolvedAddress: Sendable, Equatable {
    public var family: Int32
    public var bytes: [UInt8]
}

/// Name resolution off the event loops: `getaddrinfo` blocks, so lookups run on a couple
/// of dedicated threads and answers are posted back to the asking loop. IP literals answer
/// at once; answers are cached for 60 s (failures are not).
///
/// Coalesced: concurrent requests for one host share one lookup — a request for a host
/// already queued or being looked up joins it and gets the same answer. (The port is not
/// part of a lookup, so one host with any port is one lookup.) Bounded: at most
/// `queueCapacity` distinct hosts wait or are being looked up; a request for one more is
/// answered at once with a resolve error (the upstream is reported unreachable, 503).
///
/// Thread-safe: the queue and the cache are behind pthread locks; the lookup threads are
/// the only consumers of the queue, and no lock is held across `getaddrinfo` or while
/// posting answers.
public final class Resolver: Sendable {
    /// Called on the asking loop's thread with the addresses or the reason there are none.
    public typealias Completion = @Sendable (Result<[ResolvedAddress], UpstreamError>) -> Void
    /// One blocking lookup of a host name (the system's `getaddrinfo`, or a test's).
    public typealias LookUp = @Sendable (String) -> Result<[ResolvedAddress], UpstreamError>

    private struct Waiter: Sendable {
        let loop: EventLoop
        let completion: Completion
    }

    private struct State: Sendable {
        /// Hosts queued or being looked up, with everyone waiting for each.
        var waiting: [String: [Waiter]] = [:]
        /// Hosts not yet picked up by a thread, oldest first.
        var queue: [String] = []
        var stopped = false
    }

    private enum Admission {
        case queued, joined, refused(String)
    }

    /// Most distinct hosts queued or being looked up at once.
    public let queueCapacity: Int
    private let lookUp: LookUp
    private let state = Locked(State())
    private let cache = Locked<[String: (addresses: [ResolvedAddress], expiresAt: Int64)]>([:])
    private let condition = Condition()
    private static let cacheLifetime: Int64 = 60_000_000_000

    /// Starts `threadCount` lookup threads.
    /// - Parameters:
    ///   - threadCount: lookups that may run in parallel (at least 1).
    ///   - queueCapacity: distinct hosts that may wait or be looked up at once (at least 1).
    ///   - lookUp: the blocking lookup; `Resolver.systemLookUp` outside tests.
    public init(threadCount: Int = 2, queueCapacity: Int = 64, lookUp: @escaping LookUp = Resolver.systemLookUp) {
        self.queueCapacity = max(1, queueCapacity)
        self.lookUp = lookUp
        for index in 0..<max(1, threadCount) {
            LoopThread.spawnDetached(name: "cistern-dns-\(index)") { [self] in self.work() }
        }
    }

    /// Stops the lookup threads after the hosts queued so far; later requests are refused.
    public func stop() {
        state.withLock { $0.stopped = true }
        condition.signal()
    }

    /// Resolves `host` and calls `completion` on `loop`'s thread (never before returning).
    public func resolve(_ host: String, on loop: EventLoop, completion: @escaping Completion) {
        if let literal = Resolver.literal(host) {
            loop.execute { completion(.success([literal])) }
            return
        }
        let now = MonotonicClock.now()
        if let hit = cache.withLock({ $0[host] }), hit.expiresAt > now {
            loop.execute { completion(.success(hit.addresses)) }
            return
        }
        let capacity = queueCapacity
        let admission = state.withLock { state -> Admission in
            if state.stopped { return .refused("the resolver is stopped") }
            if state.waiting[host] != nil {
                state.waiting[host]!.append(Waiter(loop: loop, completion: completion))
                return .joined
            }
            guard state.waiting.count < capacity else {
                return .refused("resolver queue full (\(capacity) hosts being resolved)")
            }
            state.waiting[host] = [Waiter(loop: loop, completion: completion)]
            state.queue.append(host)
            return .queued
        }
        switch admission {
        case .queued:
            condition.signal()
        case .joined:
            break
        case .refused(let reason):
            loop.execute { completion(.failure(.resolve(host: host, reason: reason))) }
        }
    }

    static func literal(_ host: String) -> ResolvedAddress? {
        var bytes = [UInt8](repeating: 0, count: 16)
        if bytes.withUnsafeMutableBytes({ inet_pton(AF_INET, host, $0.baseAddress) }) == 1 {
            return ResolvedAddress(family: AF_INET, bytes: bytes)
        }
        if bytes.withUnsafeMutableBytes({ inet_pton(AF_INET6, host, $0.baseAddress) }) == 1 {
            return ResolvedAddress(family: AF_INET6, bytes: bytes)
        }
        return nil
    }

    private func work() {
        while true {
            condition.wait(until: { state.withLock { !$0.queue.isEmpty || $0.stopped } })
            let (next, stopped) = state.withLock { state -> (String?, Bool) in
                (state.queue.isEmpty ? nil : state.queue.removeFirst(), state.stopped)
            }
            guard let host = next else {
                if stopped { return }
                continue
            }
            let result = lookUp(host)
            if case .success(let addresses) = result {
                let expiry = MonotonicClock.now() + Resolver.cacheLifetime
                cache.withLock { $0[host] = (addresses, expiry) }
            }
            let waiters = state.withLock { $0.waiting.removeValue(forKey: host) ?? [] }
            for waiter in waiters {
                let completion = waiter.completion
                waiter.loop.execute { completion(result) }
            }
        }
    }

    /// `getaddrinfo` through the C shim: up to 8 addresses, IPv4 and IPv6.
    public static let systemLookUp: LookUp = { host in
        var raw = [UInt8](repeating: 0, count: 16 * 8)
        var families = [Int32](repeating: 0, count: 8)
        let n = raw.withUnsafeMutableBufferPointer { a in
            families.withUnsafeMutableBufferPointer { f in cep_resolve(host, a.baseAddress, f.baseAddress, 8) }
        }
        guard n > 0 else {
            let reason = n <= -1000 ? String(cString: gai_strerror(n + 1000)) : "no addresses"
            return .failure(.resolve(host: host, reason: reason))
        }
        return .success((0..<Int(n)).map { ResolvedAddress(family: families[$0], bytes: Array(raw[$0 * 16..<$0 * 16 + 16])) })
    }
}
