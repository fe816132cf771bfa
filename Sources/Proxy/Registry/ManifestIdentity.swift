import Foundation

/// How a manifest's bytes relate to the digest and media type a registry names it by.
///
/// - A manifest is named by the digest of its bytes, except a signed schema 1 manifest
///   (`+prettyjws`, what distribution converts schema 2 to for old clients): distribution names
///   it by the digest of its payload without the signatures, which its JWS protected header
///   describes (docker/libtrust `PrettySignature`: `formatLength`, `formatTail`). The signatures
///   differ from one fetch to the next; the payload digest does not.
/// - A manifest sent without `Content-Type` has the type its body declares in `mediaType`
///   (Docker schema 2, OCI), or the one its shape implies (OCI image-spec: `mediaType` is
///   optional in early OCI manifests and indexes).
///
/// Foundation's JSON parser is used: this runs once per manifest fetched or loaded from disk,
/// never on a hit served from memory.
public enum ManifestIdentity {
    /// Whether `digest` names `bytes` of type `mediaType` (see the type's notes).
    public static func isNamed(_ bytes: [UInt8], mediaType: String, by digest: Digest) -> Bool {
        if ContentHasher.digestString(of: bytes, algorithm: digest.algorithm) == digest.string { return true }
        guard mediaType.lowercased() == MediaType.dockerManifestV1Signed, let payload = schema1SignedPayload(bytes) else {
            return false
        }
        return ContentHasher.digestString(of: payload, algorithm: digest.algorithm) == digest.string
    }

    /// What a signed schema 1 manifest's digest covers: the first `formatLength` bytes followed
    /// by the base64url-decoded `formatTail`, both from the first signature's protected header.
    /// Nil when the manifest carries no such header, or when that payload is not the document
    /// itself without its signatures: the header is the sender's word, so a payload is accepted
    /// only if it is a schema 1 JSON object equal, member for member, to the signed document
    /// less `signatures`. Otherwise any bytes could claim any digest by describing a payload
    /// that hashes to it (libtrust checks the same when it verifies a JWS).
    public static func schema1SignedPayload(_ bytes: [UInt8]) -> [UInt8]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let signatures = object["signatures"] as? [[String: Any]],
              let protected = signatures.first?["protected"] as? String,
              let header = base64URLDecoded(protected),
              let fields = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
              let formatLength = fields["formatLength"] as? Int, formatLength >= 0, formatLength <= bytes.count,
              let formatTail = fields["formatTail"] as? String, let tail = base64URLDecoded(formatTail)
        else { return nil }
        let payload = Array(bytes[..<formatLength]) + Array(tail)
        guard let payloadObject = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
              (payloadObject["schemaVersion"] as? NSNumber)?.intValue == 1, payloadObject["signatures"] == nil
        else { return nil }
        var unsigned = object
        unsigned["signatures"] = nil
        guard NSDictionary(dictionary: unsigned).isEqual(to: payloadObject) else { return nil }
        return payload
    }

    /// Whether `manifest`'s bytes themselves hash to its digest (every manifest but a signed
    /// schema 1 one, which is named by its payload and whose signatures differ per fetch).
    public static func bytesHashToDigest(_ manifest: StoredManifest) -> Bool {
        ContentHasher.digestString(of: manifest.bytes, algorithm: manifest.digest.algorithm) == manifest.digest.string
    }

    /// The media type a manifest body declares or implies: its `mediaType` member; else for
    /// `schemaVersion` 1 the signed or unsigned schema 1 type; else an OCI index when it has
    /// `manifests`, an OCI manifest when it has `config` or `layers`. Nil for anything else.
    public static func declaredMediaType(of bytes: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        if let declared = object["mediaType"] as? String, !declared.isEmpty { return declared.lowercased() }
        switch (object["schemaVersion"] as? NSNumber)?.intValue {
        case 1:
            return object["signatures"] != nil ? MediaType.dockerManifestV1Signed : MediaType.dockerManifestV1
        case 2:
            if object["manifests"] != nil { return MediaType.ociIndex }
            if object["config"] != nil || object["layers"] != nil { return MediaType.ociManifest }
            return nil
        default:
            return nil
        }
    }

    /// Base64url (RFC 7515 section 2), as JWS uses it; padding is tolerated.
    private static func base64URLDecoded(_ text: String) -> Data? {
        Base64URL.decode(text, allowingPadding: true).map { Data($0) }
    }
}
