import ProxyHTTP
import ProxyRegistry
import ProxySystem
import ProxyUpstream

/// The one way a fill starts: a client's blob GET and a prefetch job both come here,
/// so both join a running fill, find the committed blob, or start the only fill for
/// the digest (through `FillTable.joinOrStart`) and its `FillDriver`.
enum FillStart {
    /// What happened.
    enum Outcome {
        /// Another request's fill is running: wait on it.
        case joined(Fill)
        /// The blob is in the store.
        case committed
        /// This call started the fill.
        case started(Fill)
        /// No fill could be made (the cache cannot take the blob and `uncachedAllowed` is off).
        case unavailable(SystemError)
    }

    /// Joins or starts the fill of `digest` from `upstream`'s `repository`, on `context`'s loop.
    /// - Parameters:
    ///   - repository: the name as the upstream knows it.
    ///   - client: the `X-Forwarded-For` and `X-Request-ID` of the upstream GET (`.none` for prefetch).
    ///   - uncachedAllowed: when the cache cannot create a temporary file, stream from memory
    ///     without caching (a client is waiting) instead of giving up (prefetch).
    ///   - onFinish: runs on this loop when a fill this call started committed or failed.
    static func joinOrStart(_ digest: Digest, upstream: UpstreamRegistry, repository: RepositoryName, context: LoopContext,
                            client: ClientTrace, uncachedAllowed: Bool, onFinish: (() -> Void)? = nil) -> Outcome {
        let shared = context.shared
        let lookup: FillTable.Lookup
        do throws(SystemError) {
            lookup = try shared.fills.joinOrStart(digest, isCommitted: { shared.blobs.blobSize(digest) != nil }) { () throws(SystemError) -> Fill in
                do throws(SystemError) {
                    let (path, file) = try shared.blobs.createTemporary(for: digest)
                    return Fill(digest: digest, upstreamName: upstream.name, repository: repository, file: file, temporaryPath: path)
                } catch {
                    guard uncachedAllowed else { throw error }
                    // No writable cache (read-only, full): stream from memory, uncached.
                    shared.logger.warning("cache not writable; streaming without caching", metadata: [
                        "digest": "\(digest)", "error": "\(error)",
                    ])
                    return Fill(digest: digest, upstreamName: upstream.name, repository: repository, file: nil, temporaryPath: nil)
                }
            } discard: { fill in
                if let path = fill.temporaryPath { shared.blobs.discard(temporaryPath: path) }
            }
        } catch {
            return .unavailable(error)
        }
        switch lookup {
        case .joined(let fill):
            return .joined(fill)
        case .committed:
            return .committed
        case .started(let fill):
            let driver = FillDriver(fill: fill, context: context, upstream: upstream)
            driver.onFinish = onFinish
            driver.start(client: client)
            return .started(fill)
        }
    }
}
