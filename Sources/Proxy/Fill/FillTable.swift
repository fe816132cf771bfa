/// The single-flight point for blobs: at most one fill per digest in the
/// whole process, whichever loop a request arrives on.
///
/// Ordering that makes it exact: a fill is removed from the table only after
/// it committed (renamed into the store) or failed, and a request that finds
/// no fill checks the store again under the table's lock before creating
/// one. So a request either joins the running fill, finds the committed blob,
/// or starts the only new fill.
///
/// Thread-safe: the table is behind a pthread lock.
public final class FillTable: Sendable {
    private let fills = Locked<[Digest: Fill]>([:])

    public init() {}

    /// Outcome of `joinOrStart`.
    public enum Lookup {
        /// A fill is running (or just finished) for the digest.
        case joined(Fill)
        /// The blob was committed meanwhile: serve it from the store.
        case committed
        /// A new fill was created; the caller must start its upstream side.
        case started(Fill)
    }

    /// Joins the running fill for `digest`, or creates one with `create`.
    /// - Parameter isCommitted: checks the store (called under the lock).
    public func joinOrStart(_ digest: Digest, isCommitted: () -> Bool, create: () throws(SystemError) -> Fill) throws(SystemError) -> Lookup {
        try fills.withLock { (table: inout [Digest: Fill]) throws(SystemError) -> Lookup in
            if let fill = table[digest] { return .joined(fill) }
            if isCommitted() { return .committed }
            let fill = try create()
            table[digest] = fill
            return .started(fill)
        }
    }

    /// The running fill for `digest`, if any.
    public func running(_ digest: Digest) -> Fill? {
        fills.withLock { $0[digest] }
    }

    /// Removes `fill` (only that instance) once it committed or failed.
    public func remove(_ fill: Fill) {
        fills.withLock { table in
            if table[fill.digest] === fill { table[fill.digest] = nil }
        }
    }

    /// Number of fills in flight.
    public var count: Int { fills.withLock { $0.count } }
}
