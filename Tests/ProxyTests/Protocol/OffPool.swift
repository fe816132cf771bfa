import Foundation

/// Runs blocking test work (socket I/O through `TestHTTPClient`, hashing megabytes in a debug
/// build) on a thread of its own and awaits the result, so the waiting test leaves Swift's
/// cooperative pool free. That pool has one thread per core (two here) and is shared by every
/// test running in parallel; blocking it stalls other tests' awaits, such as a registry's
/// readiness probe, until they time out.
///
/// Expectations stay in the awaiting test (issues are attributed through task-local state
/// that a plain thread does not have), so `body` returns values and does not `#expect`.
enum OffPool {
    /// `body`'s result (or error), computed on a new detached thread.
    static func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// `TestHTTPClient.fetch` (one connection, one request, one response) off the pool.
    /// - Throws: `TestSocketError` from connecting or sending.
    static func fetch(port: UInt16, method: String = "GET", _ target: String, headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        try await run { try TestHTTPClient.fetch(port: port, method: method, target, headers: headers) }
    }
}
