import CEpoll
import Glibc
import ProxySystem
import Synchronization

/// Exclusive use of one cache directory by one Cistern process.
///
/// Two processes on one cache would each remove the other's fills in progress at start-up
/// (`BlobStore.removeLeftovers`) and race on every commit. So the server takes an `flock(2)`
/// on the directory itself before touching anything in it, and writes its PID to
/// `<cache>/cistern.pid` for the error a second process prints. The directory, not a file in
/// it, is locked so that a read-only or full cache (which still serves, see the README) is
/// locked too. The kernel releases the lock when the process ends, however it ends, so a
/// stale PID file never blocks a restart.
///
/// Thread-safety: any thread; `release()` is idempotent and also runs on deinit.
public final class CacheDirectoryLock: Sendable {
    /// Why the lock could not be taken.
    public struct Failure: Error, CustomStringConvertible {
        /// The operator-facing reason, naming the directory (and the holder's PID when known).
        public let description: String
    }

    /// Name of the file holding the PID of the process that holds the lock.
    public static let pidFileName = "cistern.pid"

    /// The locked directory's descriptor; -1 once released.
    private let descriptor: Atomic<Int32>

    /// Creates `directory` if needed and locks it.
    /// - Parameter role: how errors name the directory (`cache directory`, `storage directory`).
    /// - Throws: `Failure` when another process holds the lock (naming its PID), or when the
    ///   directory cannot be created or opened.
    public init(directory: String, role: String = "cache directory") throws {
        let mkdir = cep_mkdir_p(directory)
        if mkdir < 0 {
            throw Failure(description: "\(role) \(directory): \(SystemError(code: -mkdir, operation: "mkdir").description)")
        }
        var holder: Int32 = 0
        let fd = cep_dir_lock(directory, directory + "/" + Self.pidFileName, &holder)
        if fd == -EWOULDBLOCK {
            let who = holder > 0 ? "process \(holder)" : "another process"
            throw Failure(description: "\(role) \(directory) is in use by \(who) (another Cistern?); each process needs its own --\(role == "cache directory" ? "cache" : "storage")-dir")
        }
        if fd < 0 {
            throw Failure(description: "\(role) \(directory): \(SystemError(code: -fd, operation: "lock").description)")
        }
        descriptor = Atomic(fd)
    }

    deinit { release() }

    /// Releases the lock (closes the descriptor). Idempotent.
    public func release() {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { _ = cep_close(fd) }
    }
}
