import Foundation

/// An OCI error body, `{"errors":[{"code":…,"message":…,"detail":…}]}` (distribution-spec
/// "Error Codes"), read leniently: only the codes are kept.
struct OCIErrorDocument: Sendable {
    /// Every `errors[].code`, in order.
    let codes: [String]

    /// Parses `body`; nil when it is not JSON in that shape.
    init?(_ body: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let errors = object["errors"] as? [[String: Any]], !errors.isEmpty
        else { return nil }
        let codes = errors.compactMap { $0["code"] as? String }
        guard codes.count == errors.count else { return nil }
        self.codes = codes
    }
}
