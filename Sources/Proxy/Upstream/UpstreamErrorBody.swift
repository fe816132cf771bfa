// Error bodies are read only for an upstream's 404, rare and small, so decoding them with
// Foundation's JSONDecoder is off the hot path.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProxyRegistry

/// The error body of an upstream's answer in the distribution-spec "Error Codes" shape
/// (`{"errors":[{"code":"…","message":"…","detail":…}]}`), read for the one thing Cistern
/// passes on: which "unknown" the upstream meant.
enum UpstreamErrorBody {
    /// The codes a 404's body may name that are passed on to the client: distribution answers
    /// `NAME_UNKNOWN` for a repository it does not have (tags/list; newer versions for every
    /// endpoint), `MANIFEST_UNKNOWN` and `BLOB_UNKNOWN` for a missing manifest or blob.
    static let passedOnNotFoundCodes: Set<RegistryError.Code> = [.nameUnknown, .manifestUnknown, .blobUnknown]

    /// The first error's `code`, or nil when `body` is not an OCI error document (an HTML page,
    /// plain text, empty, or JSON of another shape).
    static func firstCode(_ body: [UInt8]) -> RegistryError.Code? {
        guard body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") else { return nil }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(body)),
              let code = document.errors.first?.code, !code.isEmpty else { return nil }
        return RegistryError.Code(rawValue: code)
    }

    /// The standard message for a passed-on "unknown" code (as distribution words it).
    static func message(for code: RegistryError.Code) -> String {
        switch code {
        case .nameUnknown: "repository name not known to registry"
        case .blobUnknown: "blob unknown to registry"
        default: "manifest unknown"
        }
    }

    private struct Document: Decodable {
        var errors: [Entry]
    }

    /// One entry; only `code` is read (`detail` may be any JSON value).
    private struct Entry: Decodable {
        var code: String?
    }
}
