import CEpoll
import Glibc

/// A resolved address: family (`AF_INET`/`AF_INET6`) and 16 address bytes
/// (IPv4 in the first four).
public struct ResolvedAddress: Sendable, Equatable {
    public var family: Int32
    public var bytes: [UInt8]
}

/// Name resolution off the event loops: `getaddrinfo` blocks, so lookups run
/// on one dedicated thread and answers are posted back to the asking loop.
/// IP literals answer at once; answers are cached for 60 s.
///
/// Thread-safe: the queue and the cache are behind pthread locks; the
/// resolver thread is the only consumer of the queue.
public final class Resolver: Sendable {
    private struct Job: Sendable {
        let host: String
        let loop: EventLoop
        let completion: @Sendable (Result<[ResolvedAddress], UpstreamError>) -> Void
    }

    private let queue = Locked<(jobs: [Job], stopped: Bool)>(([], false))
    private let cache = Locked<[String: (addresses: [ResolvedAddress], expiresAt: Int64)]>([:])
    private let condition = Condition()
    private static let cacheLifetime: Int64 = 60_000_000_000

    public init() {
        LoopThread.spawnDetached(name: "cistern-dns") { [self] in self.work() }
    }

    /// Stops the resolver thread after the jobs queued so far.
    public func stop() {
        queue.withLock { $0.stopped = true }
        condition.signal()
    }

    /// Resolves `host` and calls `completion` on `loop`'s thread.
    public func resolve(_ host: String, on loop: EventLoop,
                        completion: @escaping @Sendable (Result<[ResolvedAddress], UpstreamError>) -> Void) {
        if let literal = Resolver.literal(host) {
            loop.execute { completion(.success([literal])) }
            return
        }
        let now = MonotonicClock.now()
        if let hit = cache.withLock({ $0[host] }), hit.expiresAt > now {
            loop.execute { completion(.success(hit.addresses)) }
            return
        }
        queue.withLock { $0.jobs.append(Job(host: host, loop: loop, completion: completion)) }
        condition.signal()
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
            condition.wait(until: { queue.withLock { !$0.jobs.isEmpty || $0.stopped } })
            let (jobs, stopped) = queue.withLock { state -> ([Job], Bool) in
                let taken = state.jobs
                state.jobs.removeAll()
                return (taken, state.stopped)
            }
            for job in jobs {
                let result = lookUp(job.host)
                job.loop.execute { job.completion(result) }
            }
            if stopped { return }
        }
    }

    private func lookUp(_ host: String) -> Result<[ResolvedAddress], UpstreamError> {
        var raw = [UInt8](repeating: 0, count: 16 * 8)
        var families = [Int32](repeating: 0, count: 8)
        let n = raw.withUnsafeMutableBufferPointer { a in
            families.withUnsafeMutableBufferPointer { f in cep_resolve(host, a.baseAddress, f.baseAddress, 8) }
        }
        guard n > 0 else {
            let reason = n <= -1000 ? String(cString: gai_strerror(n + 1000)) : "no addresses"
            return .failure(.resolve(host: host, reason: reason))
        }
        let addresses = (0..<Int(n)).map { ResolvedAddress(family: families[$0], bytes: Array(raw[$0 * 16..<$0 * 16 + 16])) }
        let expiry = MonotonicClock.now() + Resolver.cacheLifetime
        cache.withLock { $0[host] = (addresses, expiry) }
        return .success(addresses)
    }
}

/// A condition variable paired with its own mutex, for the resolver's queue.
///
/// `@unchecked Sendable`: the pthread objects are allocated once and only
/// used through pthread calls, which synchronise them.
final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Blocks until `ready()` is true (checked under the mutex).
    func wait(until ready: () -> Bool) {
        pthread_mutex_lock(mutex)
        while !ready() { pthread_cond_wait(cond, mutex) }
        pthread_mutex_unlock(mutex)
    }

    func signal() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }
}
