/// Layer prefetch (`--prefetch`): when a manifest comes from the upstream,
/// start fills for its config and layers — and for an index, first fetch the
/// child manifests of the configured platform — so that the blobs a client
/// is about to ask for are already arriving. At most `concurrency` prefetch
/// fills run at once across the process; the rest wait in a queue.
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

    private enum Target: Sendable {
        case blob(Digest)
        case manifest(Digest)
    }

    let concurrency: Int
    let platform: Platform
    private let state = Locked<(running: Int, queue: [Job])>((0, []))

    init(concurrency: Int, platform: Platform) {
        self.concurrency = max(1, concurrency)
        self.platform = platform
    }

    /// Called on `context`'s loop after `manifest` was fetched from `upstream`.
    /// - Parameter repository: the name as the upstream knows it.
    func manifestFetched(_ manifest: StoredManifest, upstream: UpstreamRegistry, repository: RepositoryName, context: LoopContext) {
        let references = ManifestReferences(parsing: manifest.bytes)
        var jobs: [Job] = references.blobs.map { Job(context: context, upstream: upstream, repository: repository, target: .blob($0)) }
        for child in references.children where child.platform.map(platform.matches) ?? false {
            jobs.append(Job(context: context, upstream: upstream, repository: repository, target: .manifest(child.digest)))
        }
        guard !jobs.isEmpty else { return }
        state.withLock { $0.queue.append(contentsOf: jobs) }
        startQueued()
    }

    /// Starts queued jobs while slots are free (each on its own loop).
    private func startQueued() {
        while let job = takeSlot() {
            job.context.loop.execute { [self] in run(job) }
        }
    }

    private func takeSlot() -> Job? {
        state.withLock { state in
            guard state.running < concurrency, !state.queue.isEmpty else { return nil }
            state.running += 1
            return state.queue.removeFirst()
        }
    }

    private func finished() {
        state.withLock { $0.running -= 1 }
        startQueued()
    }

    /// Runs one job on its loop; calls `finished()` exactly once.
    private func run(_ job: Job) {
        let shared = job.context.shared
        switch job.target {
        case .blob(let digest):
            // Prefetch only when the blob can be cached: createTemporary throws otherwise.
            let lookup = try? shared.fills.joinOrStart(digest, isCommitted: { shared.blobs.blobSize(digest) != nil }) { () throws(SystemError) -> Fill in
                let (path, file) = try shared.blobs.createTemporary(for: digest)
                return Fill(digest: digest, upstreamName: job.upstream.name, repository: job.repository, file: file, temporaryPath: path)
            }
            guard case .started(let fill) = lookup else {
                finished()  // cached, already filling, or no cache space
                return
            }
            let driver = FillDriver(fill: fill, context: job.context, upstream: job.upstream)
            driver.onFinish = { [self] in finished() }
            driver.start(clientAddress: "")
        case .manifest(let digest):
            if shared.manifests.contains(digest) {
                finished()
                return
            }
            let accept = AcceptedMediaTypes(headerValues: [MediaType.allManifestTypes.joined(separator: ", ")])
            ManifestLookup(context: job.context, upstream: job.upstream, repository: job.repository, reference: .digest(digest),
                           accept: accept, clientAddress: "").run { [self] result in
                if case .success(let answer) = result {
                    manifestFetched(answer.manifest, upstream: job.upstream, repository: job.repository, context: job.context)
                }
                finished()
            }
        }
    }
}
