/// Whose credentials a remote registry's exchanges present (YAML `credentials`, issue 17
/// item 3).
public enum UpstreamCredentials: String, Sendable, Equatable, CaseIterable {
    /// The remote's own `username`/`password` (or none: anonymous). Clients never send it
    /// anything of theirs, and content cached through it is served to every client the
    /// route admits.
    case configured
    /// Each client's own Basic credential: exchanged with the upstream (one token per
    /// credential and scope), and cached content is served to a client only after the
    /// upstream confirmed, with a HEAD, that its credential may read the repository.
    case client
}
