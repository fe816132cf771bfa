import CEpoll
import ProxyRegistry
import ProxySystem

/// One blob upload in progress (distribution-spec "Pushing blobs": the session a `POST
/// /v2/<name>/blobs/uploads/` opens, addressed by its `Location`): a file the bytes are
/// appended to, and the SHA-256 of those bytes so far, verified against the digest the
/// closing `PUT` names before the blob is committed.
///
/// `@unchecked Sendable`: `file`, `hasher` and `byteCount` are touched only by the request
/// that holds the session (``UploadSessions/acquire(_:repository:)`` hands it to one request
/// at a time, on that request's loop); `isHeld` and `lastTouchedNanoseconds` only under the
/// table's lock.
public final class UploadSession: @unchecked Sendable {
    /// The session id in its URL: 32 lower-case hex digits from the system's random source.
    public let id: String
    public let repository: RepositoryName
    /// Where the bytes are appended (under the storage's `tmp/`).
    public let path: String
    public let file: SharedFile
    /// SHA-256 of the `byteCount` bytes written so far, in order.
    public let hasher = ContentHasher(.sha256)
    /// Bytes written so far: the next chunk must start here (distribution-spec "Pushing a blob
    /// in chunks": an out-of-order chunk gets 416).
    public var byteCount: Int64 = 0
    var isHeld = true
    var lastTouchedNanoseconds: Int64

    init(id: String, repository: RepositoryName, path: String, file: SharedFile, now: Int64) {
        self.id = id
        self.repository = repository
        self.path = path
        self.file = file
        lastTouchedNanoseconds = now
    }

    /// Appends `bytes` at ``byteCount``; false when the write failed. Holder only.
    public func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return true }
        let written = cep_pwrite_all(file.descriptor, bytes.baseAddress, bytes.count, byteCount)
        guard written == bytes.count else { return false }
        hasher.update(bytes)
        byteCount += Int64(bytes.count)
        return true
    }

    /// The `Range` value of upload status answers: `0-<last byte offset>` (`0-0` before any
    /// byte, as the reference registry answers).
    public var rangeText: String { "0-\(max(0, byteCount - 1))" }
}

/// The open upload sessions of the storage, by id. A session is used by one request at a
/// time; one untouched for the upload timeout is removed with its data (``sweep(now:)``).
/// Thread-safe: the table is behind a pthread lock; files are created and removed outside it.
public final class UploadSessions: Sendable {
    private let directory: String
    private let timeoutNanoseconds: Int64
    private let sessions = Locked<[String: UploadSession]>([:])

    init(directory: String, timeoutNanoseconds: Int64) {
        self.directory = directory
        self.timeoutNanoseconds = timeoutNanoseconds
    }

    /// Number of open sessions.
    public var count: Int { sessions.withLock { $0.count } }

    /// Opens a new session for `repository`, held by the caller.
    /// - Throws: `SystemError` when its file cannot be created.
    public func create(for repository: RepositoryName, now: Int64) throws(SystemError) -> UploadSession {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
        let path = "\(directory)/upload-\(id)"
        let fd = try SystemError.check(cep_open_create(path), "create \(path)")
        let session = UploadSession(id: id, repository: repository, path: path, file: SharedFile(descriptor: fd), now: now)
        sessions.withLock { $0[id] = session }
        return session
    }

    /// What `acquire` found.
    public enum Acquired {
        case session(UploadSession)
        /// No such session for this repository (never opened, finished, or timed out).
        case unknown
        /// Another request is using it now.
        case busy
    }

    /// Hands session `id` of `repository` to the caller until ``release(_:now:)`` or
    /// ``finish(_:)``.
    public func acquire(_ id: String, repository: RepositoryName) -> Acquired {
        sessions.withLock { table in
            guard let session = table[id], session.repository == repository else { return .unknown }
            guard !session.isHeld else { return .busy }
            session.isHeld = true
            return .session(session)
        }
    }

    /// The session's byte count without holding it (upload status); nil when unknown.
    public func peek(_ id: String, repository: RepositoryName) -> UploadSession? {
        sessions.withLock { table in
            guard let session = table[id], session.repository == repository else { return nil }
            return session
        }
    }

    /// Gives the session back; its idle time starts now.
    public func release(_ session: UploadSession, now: Int64) {
        sessions.withLock { _ in
            session.isHeld = false
            session.lastTouchedNanoseconds = now
        }
    }

    /// Ends the session (committed, cancelled or failed) and removes its file if it is still
    /// there (a committed blob was renamed away). Blocking (unlink).
    public func finish(_ session: UploadSession) {
        _ = sessions.withLock { $0.removeValue(forKey: session.id) }
        _ = cep_unlink(session.path)
    }

    /// Removes every session not held and untouched for the upload timeout, with its data.
    /// Blocking (unlink): call on the I/O pool. Returns how many were removed.
    @discardableResult
    public func sweep(now: Int64) -> Int {
        let expired = sessions.withLock { table -> [UploadSession] in
            let old = table.values.filter { !$0.isHeld && now - $0.lastTouchedNanoseconds >= timeoutNanoseconds }
            for session in old { table[session.id] = nil }
            return old
        }
        for session in expired { _ = cep_unlink(session.path) }
        return expired.count
    }
}
