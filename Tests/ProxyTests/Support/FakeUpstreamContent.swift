/// The fake upstream's content table: blobs by digest, manifests by repository and reference,
/// tags, and referrers. A pure value; `FakeUpstream` keeps it behind its lock.
///
/// Blobs are not scoped to a repository (any repository name serves any blob), because the
/// fake exists to inject faults, not to model repository isolation. Manifests are scoped.
struct FakeUpstreamContent: Sendable {
    /// One stored manifest.
    struct Manifest: Equatable, Sendable {
        /// The manifest bytes exactly as they are served.
        let bytes: [UInt8]
        /// Its media type, served as Content-Type.
        let mediaType: String
        /// `sha256:` digest of `bytes`.
        let digest: String
    }

    /// An OCI descriptor (image-spec "Descriptor") of one manifest that refers to a subject.
    struct Referrer: Codable, Equatable, Sendable {
        /// The referrer manifest's media type.
        let mediaType: String
        /// The referrer manifest's digest.
        let digest: String
        /// The referrer manifest's size in bytes.
        let size: Int
        /// Its artifact type (`artifactType`, else the config media type), if any.
        let artifactType: String?
        /// Its annotations, if any.
        let annotations: [String: String]?
    }

    /// How `tags/list` points at its next page (distribution spec end-8b "Link").
    enum TagListPaging: Equatable, Sendable {
        /// `</v2/<name>/tags/list?last=<tag>&n=<n>>; rel="next"`, as distribution sends it.
        case lastTag
        /// `<<base>/v2/<name>/tags/list?n=<n>&next_page=<cursor>>; rel="next"` with a cursor only
        /// this server can read (as registries with keyset pagination send), and `base` an
        /// absolute `scheme://host:port` or "" for a relative reference. A request's
        /// `next_page` resumes after the tag it encodes; `last` is then ignored.
        case opaqueCursor(base: String)
    }

    /// How tag lists are paginated.
    var tagListPaging = TagListPaging.lastTag

    private var blobsByDigest: [String: [UInt8]] = [:]
    private var manifestsByRepository: [String: [String: Manifest]] = [:]
    private var tagsByRepository: [String: Set<String>] = [:]
    private var referrersByRepository: [String: [String: [Referrer]]] = [:]

    /// Stores `bytes` as a blob and returns its digest (`sha256:<hex>`).
    mutating func addBlob(_ bytes: [UInt8]) -> String {
        let digest = TestSHA256.digest(bytes)
        blobsByDigest[digest] = bytes
        return digest
    }

    /// Stores a manifest in `repository`, reachable by its digest and, when given, by `tag`
    /// (re-tagging moves the tag). Returns the manifest digest.
    mutating func addManifest(repository: String, tag: String?, bytes: [UInt8], mediaType: String) -> String {
        let manifest = Manifest(bytes: bytes, mediaType: mediaType, digest: TestSHA256.digest(bytes))
        manifestsByRepository[repository, default: [:]][manifest.digest] = manifest
        if let tag {
            manifestsByRepository[repository, default: [:]][tag] = manifest
            tagsByRepository[repository, default: []].insert(tag)
        }
        return manifest.digest
    }

    /// Stores a referrer manifest in `repository` (by digest) and lists it among the
    /// referrers of `subject`. Returns the referrer's digest.
    mutating func addReferrer(
        repository: String, subject: String, bytes: [UInt8], mediaType: String,
        artifactType: String?, annotations: [String: String]?
    ) -> String {
        let digest = addManifest(repository: repository, tag: nil, bytes: bytes, mediaType: mediaType)
        let referrer = Referrer(
            mediaType: mediaType, digest: digest, size: bytes.count,
            artifactType: artifactType, annotations: annotations)
        referrersByRepository[repository, default: [:]][subject, default: []].append(referrer)
        return digest
    }

    /// The blob stored under `digest`, or nil.
    func blob(digest: String) -> [UInt8]? {
        blobsByDigest[digest]
    }

    /// The manifest of `repository` under `reference` (a tag or a digest), or nil.
    func manifest(repository: String, reference: String) -> Manifest? {
        manifestsByRepository[repository]?[reference]
    }

    /// Whether anything was ever stored in `repository`.
    func hasRepository(_ repository: String) -> Bool {
        manifestsByRepository[repository] != nil
    }

    /// The tags of `repository` in lexical order (the distribution spec's order), or nil
    /// when the repository is unknown.
    func tags(repository: String) -> [String]? {
        guard hasRepository(repository) else { return nil }
        return (tagsByRepository[repository] ?? []).sorted()
    }

    /// The referrers of `subject` in `repository`, in the order they were added.
    func referrers(repository: String, subject: String) -> [Referrer] {
        referrersByRepository[repository]?[subject] ?? []
    }
}
