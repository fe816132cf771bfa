import ProxyRegistry

/// An image as an operator names it to `cistern warm`: `[HOST/]NAME[:TAG][@DIGEST]`, split
/// the way Docker and containerd split it (distribution `reference.splitDockerDomain`).
///
/// The first `/`-separated component is a registry host when it contains `.` or `:`, is
/// `localhost`, or has an upper-case letter (a repository name never does); otherwise the
/// whole text before the tag is the repository name, unchanged: a bare `busybox` stays
/// `busybox`, because the mirror adds Docker Hub's `library/` itself. A reference with a host
/// is requested with `?ns=HOST` (containerd's mirror convention, which Cistern routes by);
/// one without is requested without `ns`, so it goes to the mirror's default upstream.
/// With neither tag nor digest the tag is `latest`; with both, the digest wins (as in
/// `docker pull name:tag@digest`).
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host as written (`docker.io`, `127.0.0.1:5001`), nil without one.
    public let host: String?
    /// The repository name as the mirror is asked for it (`library/busybox`, `busybox`).
    public let repository: RepositoryName
    /// The tag or digest to request.
    public let reference: Reference
    /// The text the operator wrote, for reports.
    public let text: String

    /// Why a reference was refused; `description` names the text and the reason.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// The reference as written.
        public let text: String
        /// What is wrong with it.
        public let reason: String

        public var description: String { "invalid image reference \"\(text)\": \(reason)" }
    }

    /// Parses one reference.
    /// - Throws: ``Invalid`` for an empty text, an empty name or host, a name outside the
    ///   distribution-spec grammar, or a malformed tag or digest.
    public init(parsing text: String) throws(Invalid) {
        self.text = text
        guard !text.isEmpty else { throw Invalid(text: text, reason: "empty") }
        var remainder = Substring(text)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            do {
                digest = try Digest(parsing: String(remainder[remainder.index(after: at)...]))
            } catch {
                throw Invalid(text: text, reason: error.message)
            }
            remainder = remainder[..<at]
        }
        var tag: Tag?
        if let colon = remainder.lastIndex(of: ":"), !remainder[colon...].contains("/") {
            do {
                tag = try Tag(parsing: String(remainder[remainder.index(after: colon)...]))
            } catch {
                throw Invalid(text: text, reason: error.message)
            }
            remainder = remainder[..<colon]
        }
        var host: String?
        if let slash = remainder.firstIndex(of: "/"), Self.isHost(remainder[..<slash]) {
            host = String(remainder[..<slash])
            remainder = remainder[remainder.index(after: slash)...]
        }
        do {
            repository = try RepositoryName(parsing: String(remainder))
        } catch {
            throw Invalid(text: text, reason: error.message)
        }
        self.host = host
        if let digest {
            reference = .digest(digest)
        } else {
            // "latest" always parses.
            reference = .tag(tag ?? (try! Tag(parsing: "latest")))
        }
    }

    /// Docker's rule for the first component of a name: a host when it has `.` or `:`, is
    /// `localhost`, or is not all lower case.
    static func isHost(_ component: Substring) -> Bool {
        component.contains(".") || component.contains(":") || component == "localhost"
            || component.contains(where: \.isUppercase)
    }

    /// `?ns=HOST` for a reference with a host, else the empty string.
    public var namespaceQuery: String {
        host.map { "?ns=\($0)" } ?? ""
    }

    /// `/v2/<name>/manifests/<reference>[?ns=HOST]` for `reference` (the image's own by default).
    public func manifestPath(_ reference: Reference? = nil) -> String {
        "/v2/\(repository)/manifests/\((reference ?? self.reference).string)\(namespaceQuery)"
    }

    /// `/v2/<name>/blobs/<digest>[?ns=HOST]`.
    public func blobPath(_ digest: Digest) -> String {
        "/v2/\(repository)/blobs/\(digest)\(namespaceQuery)"
    }

    /// The reference as written.
    public var description: String { text }
}

/// Reads a `--from-file` list: one image reference per line; surrounding white space,
/// blank lines and lines starting with `#` are ignored, as is anything after ` #`.
public enum ImageReferenceList {
    /// The references in `text`, in order.
    /// - Throws: ``ImageReference/Invalid`` for the first line that does not parse, its
    ///   reason prefixed with the line number.
    public static func parse(_ text: String) throws(ImageReference.Invalid) -> [ImageReference] {
        var references: [ImageReference] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let comment = line.range(of: " #") { line = line[..<comment.lowerBound] }
            let trimmed = line.trimmingCharacters(in: " \t\r")
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            do {
                references.append(try ImageReference(parsing: trimmed))
            } catch {
                throw ImageReference.Invalid(text: trimmed, reason: "line \(index + 1): \(error.reason)")
            }
        }
        return references
    }
}

extension Substring {
    /// The text without the given characters at either end.
    fileprivate func trimmingCharacters(in characters: String) -> String {
        var slice = self[...]
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
