import Foundation
import Glibc
import Testing
@testable import Proxy
@testable import ProxyLoop
@testable import ProxySystem
@testable import ProxyUpstream

/// The resolver with a test lookup in place of `getaddrinfo`: concurrent requests for one
/// host share one lookup, a full queue refuses at once with a resolve error, two lookups run
/// in parallel, answers arrive on the asking loop, and a success is cached.
@Suite struct ResolverTests {
    private typealias Gate = IOPoolTests.Gate
    private static let address = ResolvedAddress(family: AF_INET, bytes: [10, 0, 0, 7] + Array(repeating: 0, count: 12))

    /// A lookup that counts its calls per host and waits for `release` before answering.
    private final class BlockingLookUp: Sendable {
        let calls = Locked<[String: Int]>([:])
        let started = Gate()
        let release = Gate()
        var lookUp: Resolver.LookUp {
            { [self] host in
                calls.withLock { $0[host, default: 0] += 1 }
                started.open()
                release.wait()
                return .success([ResolverTests.address])
            }
        }
    }

    private struct Answer: Sendable {
        var host: String
        var result: Result<[ResolvedAddress], UpstreamError>
        var onLoop: Bool
    }

    private func resolve(_ resolver: Resolver, _ host: String, on loop: EventLoop, into answers: Locked<[Answer]>,
                         signal: DispatchSemaphore) {
        resolver.resolve(host, on: loop) { result in
            answers.withLock { $0.append(Answer(host: host, result: result, onLoop: loop.inLoop)) }
            signal.signal()
        }
    }

    @Test func concurrentRequestsForOneHostShareOneLookupAndEachGetsTheAnswerOnItsLoop() throws {
        let lookUp = BlockingLookUp()
        let resolver = Resolver(threadCount: 2, queueCapacity: 4, lookUp: lookUp.lookUp)
        defer { resolver.stop() }
        let loop = try EventLoop(index: 0)
        let thread = LoopThread.spawn(name: "test-loop") { loop.run() }
        defer { loop.stop(); LoopThread.join(thread) }
        let answers = Locked<[Answer]>([])
        let arrived = DispatchSemaphore(value: 0)
        for _ in 0..<10 { resolve(resolver, "registry.example", on: loop, into: answers, signal: arrived) }
        #expect(lookUp.started.wait())
        lookUp.release.open()
        for _ in 0..<10 { #expect(arrived.wait(timeout: .now() + 10) == .success) }
        let seen = answers.withLock { $0 }
        #expect(seen.count == 10)
        #expect(seen.allSatisfy { $0.onLoop && (try? $0.result.get()) == [Self.address] })
        #expect(lookUp.calls.withLock { $0 } == ["registry.example": 1])

        // Cached: a later request is answered without another lookup.
        resolve(resolver, "registry.example", on: loop, into: answers, signal: arrived)
        #expect(arrived.wait(timeout: .now() + 10) == .success)
        #expect(lookUp.calls.withLock { $0 } == ["registry.example": 1])
    }

    @Test func aFullQueueRefusesANewHostAtOnceWithAResolveErrorButLetsRequestsJoin() throws {
        let lookUp = BlockingLookUp()
        let resolver = Resolver(threadCount: 1, queueCapacity: 2, lookUp: lookUp.lookUp)
        defer { resolver.stop() }
        let loop = try EventLoop(index: 0)
        let thread = LoopThread.spawn(name: "test-loop") { loop.run() }
        defer { loop.stop(); LoopThread.join(thread) }
        let answers = Locked<[Answer]>([])
        let arrived = DispatchSemaphore(value: 0)
        resolve(resolver, "one.example", on: loop, into: answers, signal: arrived)
        resolve(resolver, "two.example", on: loop, into: answers, signal: arrived)
        resolve(resolver, "three.example", on: loop, into: answers, signal: arrived)
        resolve(resolver, "two.example", on: loop, into: answers, signal: arrived)  // joins: no new slot
        // The refusal does not wait for the blocked lookups.
        #expect(arrived.wait(timeout: .now() + 10) == .success)
        let refused = answers.withLock { $0 }
        #expect(refused.map(\.host) == ["three.example"])
        guard case .failure(.resolve(let host, let reason)) = refused.first?.result else {
            Issue.record("expected a resolve error, got \(String(describing: refused.first?.result))")
            return
        }
        #expect(host == "three.example")
        #expect(reason.contains("queue full"), "\(reason)")
        lookUp.release.open()
        for _ in 0..<3 { #expect(arrived.wait(timeout: .now() + 10) == .success) }
        let answered = answers.withLock { $0 }.dropFirst()
        #expect(answered.map(\.host).sorted() == ["one.example", "two.example", "two.example"])
        #expect(answered.allSatisfy { (try? $0.result.get()) == [Self.address] })
        #expect(lookUp.calls.withLock { $0 } == ["one.example": 1, "two.example": 1])
    }

    @Test func twoHostsAreLookedUpInParallel() throws {
        // Each lookup waits until the other one has started: one thread could never finish.
        let started = Locked<Set<String>>([])
        let both = DispatchSemaphore(value: 0)
        let resolver = Resolver(threadCount: 2, queueCapacity: 4) { host in
            let count = started.withLock { $0.insert(host); return $0.count }
            if count == 2 { both.signal(); both.signal() }
            guard both.wait(timeout: .now() + 10) == .success else { return .failure(.resolve(host: host, reason: "alone")) }
            return .success([ResolverTests.address])
        }
        defer { resolver.stop() }
        let loop = try EventLoop(index: 0)
        let thread = LoopThread.spawn(name: "test-loop") { loop.run() }
        defer { loop.stop(); LoopThread.join(thread) }
        let answers = Locked<[Answer]>([])
        let arrived = DispatchSemaphore(value: 0)
        resolve(resolver, "a.example", on: loop, into: answers, signal: arrived)
        resolve(resolver, "b.example", on: loop, into: answers, signal: arrived)
        for _ in 0..<2 { #expect(arrived.wait(timeout: .now() + 15) == .success) }
        #expect(answers.withLock { $0 }.allSatisfy { (try? $0.result.get()) == [Self.address] })
    }

    @Test func anIPLiteralIsAnsweredWithoutALookup() throws {
        let lookUp = BlockingLookUp()
        let resolver = Resolver(threadCount: 1, queueCapacity: 1, lookUp: lookUp.lookUp)
        defer { resolver.stop() }
        let loop = try EventLoop(index: 0)
        let thread = LoopThread.spawn(name: "test-loop") { loop.run() }
        defer { loop.stop(); LoopThread.join(thread) }
        let answers = Locked<[Answer]>([])
        let arrived = DispatchSemaphore(value: 0)
        resolve(resolver, "127.0.0.1", on: loop, into: answers, signal: arrived)
        #expect(arrived.wait(timeout: .now() + 10) == .success)
        let address = try #require(try answers.withLock { $0 }.first?.result.get().first)
        #expect(address.family == AF_INET && Array(address.bytes.prefix(4)) == [127, 0, 0, 1])
        #expect(lookUp.calls.withLock { $0 }.isEmpty)
    }
}
