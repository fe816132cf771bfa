import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Pushes `BuiltImage`s into a registry through the distribution HTTP API (OCI
/// distribution-spec "Push": POST then PUT `?digest=` for blobs, PUT for manifests with the
/// manifest's media type as Content-Type), so the registry stores byte-identical manifests and
/// every digest stays what `ImageBuilder` computed, Docker list types included.
struct RegistrySeeder: Sendable {
    /// HTTP Basic credentials (RFC 7617).
    struct Credentials: Sendable, Equatable {
        /// User name.
        let username: String
        /// Password.
        let password: String
    }

    /// Errors that are not HTTP statuses.
    enum Failure: Error, CustomStringConvertible {
        /// The registry stored the manifest under a different digest than the bytes sent.
        case digestChanged(expected: String, stored: String)
        /// An upload answer had no Location header.
        case missingUploadLocation

        var description: String {
            switch self {
            case .digestChanged(let expected, let stored): "registry stored \(stored), expected \(expected)"
            case .missingUploadLocation: "upload answer had no Location"
            }
        }
    }

    /// The registry's base URL (`http://127.0.0.1:<port>`).
    let baseURL: URL
    /// Credentials for every request, if the registry wants them.
    let credentials: Credentials?

    /// A seeder for the registry at `baseURL`.
    init(baseURL: URL, credentials: Credentials? = nil) {
        self.baseURL = baseURL
        self.credentials = credentials
    }

    /// A seeder for `registry`'s plain, anonymous seeding endpoint (see `RegistryProcess`).
    init(registry: RegistryProcess) {
        self.init(baseURL: registry.seedingBaseURL)
    }

    /// Pushes every blob and manifest of `image` and points `tag` at its root.
    /// Order: blobs, then image manifests by digest, then the root by tag (distribution checks
    /// that what a manifest references already exists).
    /// - Returns: the root descriptor the tag now resolves to.
    /// - Throws: `LoopbackHTTP.Failure` on an unexpected status, `Failure.digestChanged`.
    @discardableResult
    func push(_ image: BuiltImage, repository: String, tag: String) async throws -> ContentDescriptor {
        for blob in image.blobs {
            try await pushBlob(blob, contents: image.contents(digest: blob.digest), repository: repository)
        }
        if image.isIndex {
            for manifest in image.manifests {
                try await pushManifest(
                    manifest.bytes, descriptor: manifest.descriptor,
                    repository: repository, reference: manifest.descriptor.digest)
            }
        }
        try await pushManifest(image.rootBytes, descriptor: image.root, repository: repository, reference: tag)
        return image.root
    }

    /// Points an existing `tag` at `image` (pushing what is missing), like an upstream retag.
    /// - Returns: the new root descriptor.
    /// - Throws: as `push`, or `Failure.digestChanged` when the tag does not resolve to it after.
    @discardableResult
    func moveTag(_ tag: String, in repository: String, to image: BuiltImage) async throws -> ContentDescriptor {
        let root = try await push(image, repository: repository, tag: tag)
        let resolved = try await manifestDigest(repository: repository, reference: tag)
        guard resolved == root.digest else { throw Failure.digestChanged(expected: root.digest, stored: resolved ?? "none") }
        return root
    }

    /// Uploads one blob monolithically (POST, then PUT with `?digest=`), unless HEAD finds it.
    func pushBlob(_ blob: ContentDescriptor, contents: Data, repository: String) async throws {
        let head = request("HEAD", "/v2/\(repository)/blobs/\(blob.digest)")
        let (_, existing) = try await LoopbackHTTP.send(head, expecting: [200, 404])
        if existing.statusCode == 200 { return }
        let (_, started) = try await LoopbackHTTP.send(
            request("POST", "/v2/\(repository)/blobs/uploads/"), expecting: [202])
        // distribution 2.8 sends an absolute Location; the spec also allows a relative one.
        guard let location = started.value(forHTTPHeaderField: "Location"),
              let uploadURL = URL(string: location, relativeTo: baseURL)?.absoluteURL,
              var components = URLComponents(url: uploadURL, resolvingAgainstBaseURL: true)
        else { throw Failure.missingUploadLocation }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "digest", value: blob.digest)]
        var put = request("PUT", components.url!)
        put.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        _ = try await LoopbackHTTP.send(put, body: contents, expecting: [201])
    }

    /// PUTs manifest `bytes` under `reference` (tag or digest) with Content-Type = its media type.
    /// - Throws: `Failure.digestChanged` when the registry's Docker-Content-Digest differs.
    func pushManifest(_ bytes: Data, descriptor: ContentDescriptor, repository: String, reference: String) async throws {
        var put = request("PUT", "/v2/\(repository)/manifests/\(reference)")
        put.setValue(descriptor.mediaType, forHTTPHeaderField: "Content-Type")
        let (_, response) = try await LoopbackHTTP.send(put, body: bytes, expecting: [201])
        let stored = response.value(forHTTPHeaderField: "Docker-Content-Digest") ?? "none"
        guard stored == descriptor.digest else { throw Failure.digestChanged(expected: descriptor.digest, stored: stored) }
    }

    /// The digest `reference` resolves to (HEAD, accepting every manifest type), nil on 404.
    func manifestDigest(repository: String, reference: String) async throws -> String? {
        var head = request("HEAD", "/v2/\(repository)/manifests/\(reference)")
        head.setValue(
            [FixtureMediaType.ociIndex, FixtureMediaType.ociManifest, FixtureMediaType.dockerManifestList,
             FixtureMediaType.dockerManifest].joined(separator: ", "),
            forHTTPHeaderField: "Accept")
        let (_, response) = try await LoopbackHTTP.send(head, expecting: [200, 404])
        return response.statusCode == 200 ? response.value(forHTTPHeaderField: "Docker-Content-Digest") : nil
    }

    /// Deletes the manifest with `digest` (the registry runs with deletes enabled), so its tags
    /// stop resolving, as when an upstream image is removed.
    func deleteManifest(repository: String, digest: String) async throws {
        _ = try await LoopbackHTTP.send(request("DELETE", "/v2/\(repository)/manifests/\(digest)"), expecting: [202])
    }

    private func request(_ method: String, _ path: String) -> URLRequest {
        request(method, URL(string: baseURL.absoluteString + path)!)
    }

    private func request(_ method: String, _ url: URL) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let credentials {
            let token = Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            request.setValue("Basic \(token)", forHTTPHeaderField: "Authorization")
        }
        return request
    }
}
