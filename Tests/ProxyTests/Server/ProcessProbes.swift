import Foundation
import Glibc

/// What the lifecycle tests observe of a running `cistern` from outside: readiness, whether
/// its port still accepts, and waits bounded by a deadline (never a sleep as synchronisation).
enum ProcessProbes {
    /// `/readyz`'s status on `port`, or nil when no answer came (refused, reset, timeout).
    static func readiness(port: UInt16) -> Int? {
        (try? TestHTTPClient.fetch(port: port, "/readyz", options: .init(timeout: .seconds(2))))?.statusCode
    }

    /// True when a connection to 127.0.0.1:`port` is refused (nothing listens any more).
    static func refusesConnections(port: UInt16) -> Bool {
        do {
            let socket = try TestSocket.connectToLoopback(port: port)
            socket.close()
            return false
        } catch TestSocketError.system(call: _, errno: let code) {
            return code == ECONNREFUSED
        } catch {
            return false
        }
    }

    /// Checks `condition` every 10 ms until it holds or `timeout` passes.
    /// - Returns: whether it held.
    static func eventually(within timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    /// A random blob of `byteCount` bytes (from /dev/urandom: a byte-wise generator takes
    /// seconds for megabytes in a debug build).
    static func randomBlob(byteCount: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? handle.close() }
        return Array(try handle.read(upToCount: byteCount) ?? Data())
    }

    /// The process's standard error so far, as text.
    static func standardError(_ cistern: CisternProcess) -> String {
        String(decoding: cistern.child.standardError(), as: UTF8.self)
    }
}
