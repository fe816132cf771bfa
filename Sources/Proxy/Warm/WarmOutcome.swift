import ProxyPullThrough
import ProxyRegistry

/// What warming one image did: the manifests and blobs fetched and verified, or why it
/// failed (each reason names the request and the mirror's status and OCI error message).
public struct WarmOutcome: Sendable {
    /// The image as given.
    public let image: ImageReference
    /// The digest the image's reference resolved to (nil when its manifest was not fetched).
    public var rootDigest: Digest?
    /// Manifests fetched and verified (the root and the selected children).
    public var manifestCount = 0
    /// Blobs this image names that were fetched and verified in this run (by this image or,
    /// when shared, by an earlier one).
    public var blobCount = 0
    /// Bytes of those blobs.
    public var byteCount: Int64 = 0
    /// Why the image is not (wholly) warm; empty when it is.
    public var failures: [String] = []

    /// Whether every manifest and blob of the image was fetched and verified.
    public var succeeded: Bool { failures.isEmpty }

    public init(image: ImageReference) {
        self.image = image
    }
}

/// Where a warm run stands, for a progress display: images resolved, blobs and bytes fetched.
public struct WarmProgress: Sendable, Equatable {
    /// Images whose manifests have been fetched (or failed).
    public var resolvedImageCount = 0
    /// Images in the run.
    public var imageCount = 0
    /// Distinct blobs fetched (or failed) so far.
    public var finishedBlobCount = 0
    /// Distinct blobs to fetch, known once all manifests are resolved.
    public var blobCount = 0
    /// Blob bytes received so far.
    public var receivedByteCount: Int64 = 0
    /// Blob bytes to fetch (the descriptors' sizes).
    public var byteCount: Int64 = 0

    public init() {}
}

/// The run's options.
public struct WarmOptions: Sendable {
    /// The platform whose manifest is chosen from an index; nil takes every child.
    public var platform: Platform?
    /// Requests at once (blobs, and manifests before them); at least 1.
    public var concurrency: Int
    /// Longest silence while connecting, sending or receiving.
    public var timeout: Duration
    /// The `User-Agent` value.
    public var userAgent: String

    public init(platform: Platform?, concurrency: Int, timeout: Duration, userAgent: String) {
        self.platform = platform
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.userAgent = userAgent
    }
}
