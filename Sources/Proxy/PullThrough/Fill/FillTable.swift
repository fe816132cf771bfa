import ProxyRegistry
import ProxySystem

/// The single-flight point for blobs: at most one fill per digest in the
/// whole process, whichever loop a request arrives on.
///
/// The lock guards only the dictionary and a removal count; the store check
/// (`stat`), the temporary file's creation (`open(O_CREAT)`) and any logging
/// run outside it. Ordering that keeps it exact:
/// 1. a fill leaves the table only after its verdict: committed (renamed into
///    the store) or failed; each removal bumps `removalCount` under the lock;
/// 2. `joinOrStart` notes the count when it finds no fill, then checks the
///    store and creates its fill outside the lock;
/// 3. it inserts only if, under the lock again, there is still no fill and the
///    count is unchanged. An unchanged count means no fill ended since step 2's
///    note, so any commit of the digest happened before the store check, which
///    saw it. A changed count sends it back to the store check (the fill it
///    created is kept); a fill found there is joined and its own discarded.
/// So a request either joins the running fill, finds the committed blob, or
/// starts the only new fill.
///
/// Thread-safe: the table is behind a pthread lock.
public final class FillTable: Sendable {
    private let state = Locked<(fills: [Digest: Fill], removalCount: UInt64)>(([:], 0))

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
    /// - Parameters:
    ///   - isCommitted: checks the store (called outside the lock, perhaps twice).
    ///   - create: makes the fill (its temporary file); called outside the lock, at most once.
    ///   - discard: undoes `create` when another fill or the committed blob won.
    /// - Throws: what `create` throws.
    public func joinOrStart(_ digest: Digest, isCommitted: () -> Bool, create: () throws(SystemError) -> Fill,
                            discard: (Fill) -> Void) throws(SystemError) -> Lookup {
        var noted: UInt64 = 0
        if let fill = state.withLock({ state -> Fill? in
            noted = state.removalCount
            return state.fills[digest]
        }) {
            return .joined(fill)
        }
        if isCommitted() { return .committed }
        let created = try create()
        while true {
            enum Step { case inserted, join(Fill), recheck(UInt64) }
            let step = state.withLock { state -> Step in
                if let running = state.fills[digest] { return .join(running) }
                guard state.removalCount == noted else { return .recheck(state.removalCount) }
                state.fills[digest] = created
                return .inserted
            }
            switch step {
            case .inserted:
                return .started(created)
            case .join(let running):
                discard(created)
                return .joined(running)
            case .recheck(let count):
                noted = count
                if isCommitted() {
                    discard(created)
                    return .committed
                }
            }
        }
    }

    /// The running fill for `digest`, if any.
    public func running(_ digest: Digest) -> Fill? {
        state.withLock { $0.fills[digest] }
    }

    /// Removes `fill` (only that instance) once it committed or failed.
    public func remove(_ fill: Fill) {
        state.withLock { state in
            guard state.fills[fill.digest] === fill else { return }
            state.fills[fill.digest] = nil
            state.removalCount &+= 1
        }
    }

    /// Number of fills in flight.
    public var count: Int { state.withLock { $0.fills.count } }
}
