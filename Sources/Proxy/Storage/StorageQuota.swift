import ProxyRegistry

/// The `quota:` of a storage route (issue 16 item 9): the blobs linked in the repositories
/// that route serves, each digest counted once however many of them hold it, may not exceed
/// it. Checked when a blob is committed or mounted into one of those repositories, on the
/// I/O pool: the usage is summed from the repositories' links at that moment (a walk of the
/// route's `_blobs` directories, no in-memory count to drift). Manifests are not counted.
public enum StorageQuota {
    /// Whether `digest` of `byteCount` bytes may be linked into a repository served by
    /// `rule`, and the bytes the route's repositories hold now. A digest they already hold
    /// adds nothing. Blocking (directory walk).
    public static func admits(_ digest: Digest, byteCount: Int64, rule: RouteTable.Rule, routes: RouteTable,
                              storage: LocalStorage) -> (admitted: Bool, usedByteCount: Int64) {
        guard let quota = rule.quota else { return (true, 0) }
        var held = Set<Digest>()
        for repository in StorageCollector.repositoryPaths(under: "\(storage.root)/repositories", name: "") {
            guard let name = try? RepositoryName(parsing: repository.name),
                  let served = try? routes.route(for: name, tag: nil, ns: nil), served == rule else { continue }
            held.formUnion(StorageCollector.links(in: "\(repository.path)/_blobs"))
        }
        let used = held.reduce(Int64(0)) { $0 + (storage.blobs.blobSize($1) ?? 0) }
        if held.contains(digest) { return (true, used) }
        return (used + byteCount <= quota, used)
    }

    /// The 403 `DENIED` a push past the quota gets.
    public static func exceeded(rule: RouteTable.Rule, usedByteCount: Int64, byteCount: Int64) -> RegistryError {
        RegistryError(code: .denied, status: 403, message: "storage quota exceeded",
                      detail: "route \(rule.pattern) holds \(usedByteCount) of its quota of \(rule.quota ?? 0) bytes; this blob needs \(byteCount) more")
    }
}
