import Foundation
import ProxyRegistry
import ProxySystem

/// Warms a mirror with images, through its ordinary pull API so that behind a load balancer
/// each request reaches the node that owns the digest: first every image's manifest by tag
/// or digest (full `Accept` lists; a tag with each client family's, see
/// ``MirrorClient/manifestAcceptProfiles``), then the chosen platform's manifest(s) by digest (or every
/// child with no platform), then each distinct config and layer blob by digest, read and
/// discarded. Every body is hashed and checked against its digest.
///
/// A blob several images share is fetched once per run; a failure of it fails each of them.
/// Requests run on `options.concurrency` threads, each with its own keep-alive connection.
///
/// Thread-safe: the shared run state is behind a lock that is never held across a request or
/// the progress callback.
public final class ImageWarmer: Sendable {
    private let origin: MirrorOrigin
    private let tlsContext: MirrorTLSContext?
    private let options: WarmOptions

    /// - Parameters:
    ///   - origin: the mirror.
    ///   - tlsContext: trust for an https mirror; nil for http.
    ///   - options: platform, concurrency, timeout, user agent.
    public init(origin: MirrorOrigin, tlsContext: MirrorTLSContext?, options: WarmOptions) {
        self.origin = origin
        self.tlsContext = tlsContext
        self.options = options
    }

    /// What resolving one image's manifests found.
    private struct ImagePlan: Sendable {
        var rootDigest: Digest?
        var manifestCount = 0
        var blobs: [WarmManifest.Blob] = []
        var failure: String?
    }

    /// One distinct blob to fetch, for the images that name it.
    private struct BlobJob: Sendable {
        let blob: WarmManifest.Blob
        /// Indices of the images that name it; the first one's repository is asked.
        var owners: [Int]
    }

    /// Warms `images` and reports each one's outcome, in the order given.
    /// - Parameter progress: called from worker threads, possibly several at once,
    ///   as manifests resolve and blob bytes arrive.
    public func warm(_ images: [ImageReference], progress: @escaping @Sendable (WarmProgress) -> Void) -> [WarmOutcome] {
        var initial = WarmProgress()
        initial.imageCount = images.count
        let status = Locked(initial)
        let report: @Sendable ((inout WarmProgress) -> Void) -> Void = { change in
            progress(status.withLock { state in change(&state); return state })
        }

        let clients = MirrorClientPool()
        let plans = runWorkers(jobCount: images.count, clients: clients) { client, index in
            let plan = self.resolve(images[index], client: client)
            report { $0.resolvedImageCount += 1 }
            return plan
        }

        var jobs: [BlobJob] = []
        var jobIndex: [Digest: Int] = [:]
        for (imageIndex, plan) in plans.enumerated() {
            for blob in plan.blobs {
                if let existing = jobIndex[blob.digest] {
                    if !jobs[existing].owners.contains(imageIndex) { jobs[existing].owners.append(imageIndex) }
                } else {
                    jobIndex[blob.digest] = jobs.count
                    jobs.append(BlobJob(blob: blob, owners: [imageIndex]))
                }
            }
        }
        // Largest first, so that one big layer does not start last and run alone.
        let ordered = jobs.enumerated().sorted { ($0.element.blob.byteCount ?? 0, -$0.offset) > ($1.element.blob.byteCount ?? 0, -$1.offset) }
            .map(\.element)
        let totalBytes = ordered.reduce(Int64(0)) { $0 + ($1.blob.byteCount ?? 0) }
        report { $0.blobCount = ordered.count; $0.byteCount = totalBytes }

        let results = runWorkers(jobCount: ordered.count, clients: clients) { client, index -> Result<Int64, MirrorTransportError> in
            let job = ordered[index]
            let result: Result<Int64, MirrorTransportError>
            do {
                let byteCount = try client.fetchBlob(images[job.owners[0]], job.blob.digest, expectedByteCount: job.blob.byteCount) { count in
                    report { $0.receivedByteCount += Int64(count) }
                }
                result = .success(byteCount)
            } catch let error as MirrorTransportError {
                result = .failure(error)
            } catch {
                result = .failure(MirrorTransportError("\(error)"))
            }
            report { $0.finishedBlobCount += 1 }
            return result
        }

        var outcomes = images.map(WarmOutcome.init(image:))
        for (index, plan) in plans.enumerated() {
            outcomes[index].rootDigest = plan.rootDigest
            outcomes[index].manifestCount = plan.manifestCount
            if let failure = plan.failure { outcomes[index].failures.append(failure) }
        }
        for (job, result) in zip(ordered, results) {
            for owner in job.owners {
                switch result {
                case .success(let byteCount):
                    outcomes[owner].blobCount += 1
                    outcomes[owner].byteCount += byteCount
                case .failure(let error):
                    outcomes[owner].failures.append(error.description)
                }
            }
        }
        return outcomes
    }

    /// Fetches an image's manifest and, for an index, the selected children (an index inside
    /// an index too, one level), collecting the blobs they name.
    private func resolve(_ image: ImageReference, client: MirrorClient) -> ImagePlan {
        var plan = ImagePlan()
        do {
            let root = try client.fetchManifest(image, image.reference)
            plan.rootDigest = root.digest
            plan.manifestCount = 1
            if case .tag = image.reference {
                // The tag once more for each other client family (see manifestAcceptProfiles).
                // A registry may answer one with another manifest (a schema 1 conversion); it
                // is verified, not followed.
                for accept in MirrorClient.manifestAcceptProfiles.dropFirst() {
                    _ = try client.fetchManifest(image, image.reference, accept: accept)
                }
            }
            try collect(root.manifest, of: image, client: client, depth: 0, into: &plan)
        } catch {
            plan.failure = "\(error)"
        }
        return plan
    }

    private func collect(_ manifest: WarmManifest, of image: ImageReference, client: MirrorClient, depth: Int,
                         into plan: inout ImagePlan) throws {
        guard manifest.isIndex else {
            plan.blobs += manifest.blobs
            return
        }
        guard depth < 2 else { throw MirrorTransportError("indexes nested more than two deep") }
        for child in try manifest.selectedChildren(for: options.platform) {
            let fetched = try client.fetchManifest(image, .digest(child.digest))
            plan.manifestCount += 1
            try collect(fetched.manifest, of: image, client: client, depth: depth + 1, into: &plan)
        }
    }

    /// Runs `job` for indices `0..<jobCount` on up to `options.concurrency` threads, each
    /// with its own client (taken from `clients`, so kept-alive connections carry over from
    /// one phase to the next), and returns the results in index order once all are done.
    private func runWorkers<Output: Sendable>(jobCount: Int, clients: MirrorClientPool,
                                              job: @escaping @Sendable (MirrorClient, Int) -> Output) -> [Output] {
        guard jobCount > 0 else { return [] }
        let next = Locked(0)
        let results = Locked([Output?](repeating: nil, count: jobCount))
        let finished = DispatchGroup()
        for _ in 0..<min(options.concurrency, jobCount) {
            finished.enter()
            let thread = Thread { [origin, tlsContext, options] in
                let client = clients.take()
                    ?? MirrorClient(origin: origin, tlsContext: tlsContext, timeout: options.timeout, userAgent: options.userAgent)
                while true {
                    let index = next.withLock { value -> Int in defer { value += 1 }; return value }
                    guard index < jobCount else { break }
                    let output = job(client, index)
                    results.withLock { $0[index] = output }
                }
                clients.put(client)
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        finished.wait()
        return results.withLock { $0.map { $0! } }
    }
}

/// Clients between the phases of a run: a worker takes one when it starts and puts it back
/// when it ends, so the next phase's workers reuse their kept-alive connections.
final class MirrorClientPool: @unchecked Sendable {
    // Safe because a client is only reachable through `idle` while no thread uses it: `take`
    // removes it under the lock before a worker uses it, `put` adds it after the worker's last use.
    private let lock = PThreadLock()
    private var idle: [MirrorClient] = []

    func take() -> MirrorClient? { lock.withLock { idle.popLast() } }

    func put(_ client: MirrorClient) { lock.withLock { idle.append(client) } }
}
