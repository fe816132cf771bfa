import CEpoll
import ProxyIO
import ProxyRegistry
import ProxySystem

/// Which repositories of which upstream are known to hold a digest (blob or
/// manifest). Content is stored once by digest, but it is served for a
/// repository only once the upstream confirmed that repository holds it —
/// fetched through it, or answered a HEAD for it — so content fetched with
/// the mirror's credentials never leaks into a repository the upstream would
/// refuse (distribution's proxy does the same with its repository links).
///
/// Links are kept in memory and as empty marker files under
/// `<cache>/links/<upstream>/<repository>/<algorithm>/<hex>`, so a restarted
/// Cistern serves what it served before without asking the upstream.
/// Thread-safe: the set is behind a pthread lock; marker creation is atomic and
/// runs on the I/O pool when there is one.
public final class RepositoryLinks: Sendable {
    private struct Key: Hashable {
        var upstream: String
        var repository: RepositoryName
        var digest: Digest
    }

    private let root: String
    /// Links confirmed in this process (no path building on the hit path).
    private let known = Locked<Set<Key>>([])
    private let pool: IOPool?
    /// Where links are also recorded, so that evicting a digest removes its links.
    private let index: CacheIndex?

    /// - Parameters:
    ///   - pool: where marker files are created; nil creates them on the caller's thread
    ///     (tests and tools, never a loop).
    ///   - index: the cache index that records links per digest.
    public init(layout: CacheLayout, pool: IOPool? = nil, index: CacheIndex? = nil) {
        root = layout.root + "/links"
        self.pool = pool
        self.index = index
    }

    private func path(upstream: String, repository: RepositoryName, digest: Digest) -> (directory: String, file: String) {
        let directory = "\(root)/\(upstream)/\(repository.string)/\(digest.pathComponents.algorithm)"
        return (directory, "\(directory)/\(digest.hex)")
    }

    /// Whether `repository` of `upstream` is known to hold `digest`.
    public func isLinked(upstream: String, repository: RepositoryName, digest: Digest) -> Bool {
        let key = Key(upstream: upstream, repository: repository, digest: digest)
        if known.withLock({ $0.contains(key) }) { return true }
        guard cep_stat_size(path(upstream: upstream, repository: repository, digest: digest).file) >= 0 else { return false }
        known.withLock { _ = $0.insert(key) }
        return true
    }

    /// Records that `repository` of `upstream` holds `digest`: in memory at once, the
    /// marker file in the background. A marker the pool refuses (its queue is full) is not
    /// written: after a restart the upstream is asked again.
    public func link(upstream: String, repository: RepositoryName, digest: Digest) {
        // A link already known costs a set lookup, not a path.
        let inserted = known.withLock { $0.insert(Key(upstream: upstream, repository: repository, digest: digest)).inserted }
        guard inserted else { return }
        index?.addLink(digest, upstream: upstream, repository: repository.string)
        let (directory, file) = path(upstream: upstream, repository: repository, digest: digest)
        guard let pool else { return Self.createMarker(directory: directory, file: file) }
        pool.submit(key: file.hashValue) { Self.createMarker(directory: directory, file: file) }
    }

    /// Forgets that `repository` of `upstream` holds `digest` (it was evicted) and removes
    /// the marker, on the calling thread (the I/O pool's).
    func forget(upstream: String, repository: RepositoryName, digest: Digest) {
        known.withLock { _ = $0.remove(Key(upstream: upstream, repository: repository, digest: digest)) }
        _ = cep_unlink(path(upstream: upstream, repository: repository, digest: digest).file)
    }

    private static func createMarker(directory: String, file: String) {
        guard cep_stat_size(file) < 0, cep_mkdir_p(directory) == 0 else { return }
        let fd = cep_open_create(file)
        if fd >= 0 { _ = cep_close(fd) }
    }
}
