extension FakeUpstream {
    /// Stores `bytes` as a blob (served under any repository name) and returns its digest,
    /// `sha256:<64 lowercase hex>`.
    @discardableResult
    func addBlob(_ bytes: [UInt8]) -> String {
        state.withLock { $0.content.addBlob(bytes) }
    }

    /// Stores a manifest in `repository`, served by digest and, when `tag` is given, by tag
    /// (also listed by tags/list). Returns the manifest digest (`sha256:…`).
    @discardableResult
    func addManifest(repository: String, tag: String?, bytes: [UInt8], mediaType: String) -> String {
        state.withLock { $0.content.addManifest(repository: repository, tag: tag, bytes: bytes, mediaType: mediaType) }
    }

    /// Stores a referrer manifest in `repository` (by digest) and lists its descriptor in the
    /// referrers index of `subject` (distribution spec "Listing Referrers"). Returns its digest.
    @discardableResult
    func addReferrer(
        repository: String, subject: String, bytes: [UInt8],
        mediaType: String = "application/vnd.oci.image.manifest.v1+json",
        artifactType: String?, annotations: [String: String]? = nil
    ) -> String {
        state.withLock {
            $0.content.addReferrer(
                repository: repository, subject: subject, bytes: bytes, mediaType: mediaType,
                artifactType: artifactType, annotations: annotations)
        }
    }

    /// Makes `tags/list` paginate with `paging` from now on.
    func setTagListPaging(_ paging: FakeUpstreamContent.TagListPaging) {
        state.withLock { $0.content.tagListPaging = paging }
    }
}
