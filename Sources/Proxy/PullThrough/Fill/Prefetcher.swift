import ProxyRegistry
import ProxySystem
import ProxyUpstream

/// Layer prefetch (`--prefetch`): when a manifest comes from the upstream,
/// start fills for its config and layers — and for an index, first fetch the
/// child manifests of the configured platform — so that the blobs a client
/// is about to ask for are already arriving. At most `concurrency` prefetch
/// fills run at once across the process; the rest wait in a bounded queue
/// (`queueCapacity`; the newest jobs are dropped when it is full, counted in
/// `cistern_prefetch_dropped_total`), where a digest appears at most once.
///
/// Prefetch fills are ordinary fills: a client asking for the blob joins
/// them, and a blob already cached or being filled is skipped.
///
/// Thread-safe: the slot count and queue are behind a pthread lock; each job
/// runs on the loop that queued it.
final class Prefetcher: Sendable {
    private struct Job: Sendable {
        let context: LoopContext
        let upstream: UpstreamRegistry
        let repository: RepositoryName
        let target: Target
    }

    private enum Target: Hashable, Sendable {
        case blob(Digest)
        case manifest(Digest)
    }

    /// Jobs that may wait at once; more are dropped (counted and logged).
    static let queueCapacity = 1024

    let concurrency: Int
    let platform: Platform
    private let queue: Locked<PrefetchQueue<Target, Job>>

    init(concurrency: Int, platform: Platform, queueCapacity: Int = Prefetcher.queueCapacity) {
        self.concurrency = max(1, concurrency)
        self.platform = platform
        queue = Locked(PrefetchQueue(capacity: queueCapacity, concurrency: concurrency))
    }

    /// Called on `context`'s loop after `manifest` was fetched from `upstream`.
    /// Blobs already cached or being filled, and targets already queued, are skipped.
    /// - Parameter repository: the name as the upstream knows it.
    func manifestFetched(_ manifest: StoredManifest, upstream: UpstreamRegistry, repository: RepositoryName, context: LoopContext) {
        // Under `credentials: client` every upstream request needs a client's credential, and
        // a prefetch is made for no client: its layers are fetched when a client asks.
        guard !upstream.takesClientCredentials else { return }
        let shared = context.shared
        let references = ManifestReferences(parsing: manifest.bytes)
        var targets: [Target] = references.blobs
            .filter { shared.fills.running($0) == nil && shared.blobs.blobSize($0) == nil }
            .map { .blob($0) }
        for child in references.children where child.platform.map(platform.matches) ?? false {
            targets.append(.manifest(child.digest))
        }
        guard !targets.isEmpty else { return }
        var dropped = 0
        queue.withLock { queue in
            for target in targets {
                let job = Job(context: context, upstream: upstream, repository: repository, target: target)
                if queue.enqueue(job, key: target) == .dropped { dropped += 1 }
            }
        }
        if dropped > 0 {
            for _ in 0..<dropped { shared.metrics.prefetchDropped() }
            shared.logger.notice("prefetch queue full; jobs dropped", metadata: ["dropped": "\(dropped)", "repository": "\(repository)"])
        }
        startQueued()
    }

    /// Starts queued jobs while slots are free (each on its own loop).
    private func startQueued() {
        while let next = queue.withLock({ $0.takeNext() }) {
            let job = next.job
            job.context.loop.execute { [self] in run(job) }
        }
    }

    private func finished(_ job: Job) {
        queue.withLock { $0.finished(job.target) }
        startQueued()
    }

    /// Runs one job on its loop; calls `finished(_:)` exactly once.
    private func run(_ job: Job) {
        let shared = job.context.shared
        switch job.target {
        case .blob(let digest):
            // The same entry point as a client's GET; prefetch only when the blob can be cached.
            let outcome = FillStart.joinOrStart(digest, upstream: job.upstream, repository: job.repository, context: job.context,
                                                client: .none, uncachedAllowed: false) { [self] in finished(job) }
            if case .started = outcome { return }
            finished(job)  // cached, already filling, or no cache space
        case .manifest(let digest):
            if shared.manifests.contains(digest) {
                finished(job)
                return
            }
            let accept = AcceptedMediaTypes(headerValues: [MediaType.allManifestTypes.joined(separator: ", ")])
            ManifestLookup(context: job.context, upstream: job.upstream, repository: job.repository, reference: .digest(digest),
                           accept: accept, client: .none).run { [self] result in
                if case .success(let answer) = result {
                    manifestFetched(answer.manifest, upstream: job.upstream, repository: job.repository, context: job.context)
                }
                finished(job)
            }
        }
    }
}
