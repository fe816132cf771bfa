import ProxyRegistry

/// Where things live under the cache directory. Every path is built from
/// validated values only (digests are lower-case hex, repository names and
/// tags follow the distribution grammar, upstream names are validated at
/// configuration time), so no request can name a file outside the directory.
///
/// ```
/// <root>/blobs/sha256/<first two hex>/<hex>        committed blobs
/// <root>/manifests/sha256/<first two hex>/<hex>    committed manifests (media type line + bytes)
/// <root>/tags/<upstream>/<repository>/<tag>@<accept key hash>   tag -> digest records
/// <root>/tmp/<hex>.<sequence>.partial              fills in progress (removed at start-up)
/// <root>/sizes/sha256/<first two hex>/<hex>        committed blob sizes (decimal)
/// <root>/quarantine/<hex>.<sequence>               content that failed its check on a hit
/// <root>/links/<upstream>/<repository>/sha256/<hex> repository link markers (RepositoryLinks)
/// <root>/index/entries, <root>/index/clean         the cache index (CacheIndexFile)
/// <root>/storage/                                  reserved for primary data (pushed images):
///                                                  never evicted, not counted (CacheFootprint)
/// ```
public struct CacheLayout: Sendable {
    /// The cache directory (as configured; relative paths are relative to
    /// the working directory at start-up).
    public let root: String

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    public var blobsDirectory: String { root + "/blobs" }
    public var manifestsDirectory: String { root + "/manifests" }
    public var tagsDirectory: String { root + "/tags" }
    public var temporaryDirectory: String { root + "/tmp" }
    public var sizesDirectory: String { root + "/sizes" }
    /// Where committed content that no longer matches its record is moved, for an operator
    /// to inspect; nothing is ever served from here.
    public var quarantineDirectory: String { root + "/quarantine" }

    /// Directory holding the committed blob `digest`.
    public func blobDirectory(_ digest: Digest) -> String {
        "\(blobsDirectory)/\(digest.pathComponents.algorithm)/\(digest.hex.prefix(2))"
    }

    /// Path of the committed blob `digest`.
    public func blobPath(_ digest: Digest) -> String {
        "\(blobDirectory(digest))/\(digest.hex)"
    }

    /// Directory holding the committed manifest `digest`.
    public func manifestDirectory(_ digest: Digest) -> String {
        "\(manifestsDirectory)/\(digest.pathComponents.algorithm)/\(digest.hex.prefix(2))"
    }

    /// Path of the committed manifest `digest`.
    public func manifestPath(_ digest: Digest) -> String {
        "\(manifestDirectory(digest))/\(digest.hex)"
    }

    /// Path of a temporary file for a fill of `digest`; `sequence` makes it
    /// unique within the process (fills are unique per digest, but a failed
    /// fill's file may still be open while a new one starts).
    public func temporaryPath(_ digest: Digest, sequence: UInt64) -> String {
        "\(temporaryDirectory)/\(digest.hex).\(sequence).partial"
    }

    /// Directory holding tag records of `repository` from `upstream`.
    public func tagDirectory(upstream: String, repository: RepositoryName) -> String {
        "\(tagsDirectory)/\(upstream)/\(repository.string)"
    }
}
