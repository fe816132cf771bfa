import ProxySystem
import ProxyUpstream

/// Under `credentials: client` (issue 17 item 3): which client credentials the upstreams
/// confirmed may read which repositories, and the confirmation HEADs in flight, shared by
/// every loop so that one HEAD serves a pull whose requests land on several loops.
///
/// Thread-safe: the verdicts sit behind a pthread lock held only for a dictionary access
/// (never across a syscall, a log call or a callback); the flights are a ``FlightTable``,
/// which answers each waiter on its own loop.
package final class ClientAccessTable: Sendable {
    private let confirmations: Locked<ClientAccessConfirmations>
    /// Confirmation HEADs in flight, one per (upstream, credential, repository).
    let flights = FlightTable<ClientAccessAnswer>()

    /// - Parameter capacity: the most verdicts remembered (``ClientAccessConfirmations``).
    package init(capacity: Int = 16_384) {
        confirmations = Locked(ClientAccessConfirmations(capacity: capacity))
    }

    /// The remembered verdict for `key` while it holds. Any thread.
    package func verdict(for key: ClientAccessConfirmations.Key, now: Int64) -> ClientAccessConfirmations.Verdict? {
        confirmations.withLock { $0.verdict(for: key, now: now) }
    }

    /// Remembers `verdict` for `key` for `lifetimeNanoseconds`. Any thread.
    package func record(_ verdict: ClientAccessConfirmations.Verdict, for key: ClientAccessConfirmations.Key,
                        lifetimeNanoseconds: Int64, now: Int64) {
        confirmations.withLock { $0.record(verdict, for: key, lifetimeNanoseconds: lifetimeNanoseconds, now: now) }
    }
}

/// The answer of one confirmation HEAD, as every waiter of its flight gets it.
struct ClientAccessAnswer: Sendable {
    /// The target the HEAD asked for: a waiter for another target does not take the HEAD's
    /// "not found" (or any answer that is no verdict on the repository) as its own.
    var pathAndQuery: String
    /// A verdict on the credential reading the repository, or the upstream's failure to give one.
    var result: Result<ClientAccessConfirmations.Verdict, UpstreamFailure>
}
