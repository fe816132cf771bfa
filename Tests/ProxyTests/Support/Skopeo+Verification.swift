import Foundation

extension Skopeo {
    /// Checks a `dir:` copy: reads `manifest.json`; for an index / list, each child manifest
    /// (stored by skopeo as `<hex>.manifest.json`); for each image manifest, its config and
    /// layers (stored as `<hex>`). Every referenced file must exist, have the descriptor's size,
    /// and hash (by `sha256sum`) to its digest.
    /// - Returns: what was verified.
    /// - Throws: `Failure` for the first problem found, or read errors.
    static func verifyDirectory(_ directory: URL) async throws -> VerifiedDirectory {
        let manifestURL = directory.appendingPathComponent("manifest.json")
        let manifest = try parseManifest(at: manifestURL)
        var verified: [String] = []
        if let children = manifest["manifests"] as? [[String: Any]] {
            for child in children {
                let descriptor = try descriptor(child)
                let childURL = directory.appendingPathComponent("\(descriptor.hex).manifest.json")
                try await verifyFile(childURL, against: descriptor)
                verified.append(descriptor.digest)
                verified += try await verifyImageManifest(try parseManifest(at: childURL), in: directory)
            }
        } else {
            verified += try await verifyImageManifest(manifest, in: directory)
        }
        return VerifiedDirectory(
            manifestDigest: try await SHA256Sum.digest(ofFile: manifestURL),
            manifestMediaType: manifest["mediaType"] as? String,
            verifiedDigests: verified)
    }

    private static func verifyImageManifest(_ manifest: [String: Any], in directory: URL) async throws -> [String] {
        guard let config = manifest["config"] as? [String: Any], let layers = manifest["layers"] as? [[String: Any]] else {
            throw Failure.malformedManifest("no config / layers")
        }
        var digests: [String] = []
        for entry in [config] + layers {
            let descriptor = try descriptor(entry)
            try await verifyFile(directory.appendingPathComponent(descriptor.hex), against: descriptor)
            digests.append(descriptor.digest)
        }
        return digests
    }

    private static func verifyFile(_ file: URL, against descriptor: ContentDescriptor) async throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let byteCount = (attributes[.size] as? NSNumber)?.intValue
        else { throw Failure.missingFile(digest: descriptor.digest, path: file.path) }
        guard byteCount == descriptor.byteCount else {
            throw Failure.sizeMismatch(digest: descriptor.digest, expected: descriptor.byteCount, actual: byteCount)
        }
        let actual = try await SHA256Sum.digest(ofFile: file)
        guard actual == descriptor.digest else { throw Failure.digestMismatch(expected: descriptor.digest, actual: actual) }
    }

    private static func parseManifest(at url: URL) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw Failure.malformedManifest("\(url.lastPathComponent) is not a JSON object")
        }
        return object
    }

    private static func descriptor(_ entry: [String: Any]) throws -> ContentDescriptor {
        guard let digest = entry["digest"] as? String, digest.hasPrefix("sha256:"), digest.count == 71,
              let size = (entry["size"] as? NSNumber)?.intValue
        else { throw Failure.malformedManifest("bad descriptor \(entry)") }
        return ContentDescriptor(mediaType: entry["mediaType"] as? String ?? "", digest: digest, byteCount: size)
    }
}
