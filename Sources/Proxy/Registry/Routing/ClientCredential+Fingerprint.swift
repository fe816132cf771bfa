extension ClientCredential {
    /// The SHA-256 of `user:password` (UTF-8) as 64 lower-case hex digits: the key under which
    /// Cistern keeps what belongs to this credential (its upstream tokens, its confirmed
    /// repositories), so that no table is keyed by the password and two credentials (also
    /// one user with two passwords) never share an entry. The user name holds no `:` (RFC
    /// 7617 section 2), so the pair is read back unambiguously. Kept in memory only; never
    /// logged.
    public var fingerprint: String {
        String(ContentHasher.digestString(of: Array("\(username):\(password)".utf8), algorithm: .sha256).dropFirst("sha256:".count))
    }
}
