import Foundation

/// Which registry an upstream *name* stood for when its repository links and tag records were
/// written. Both are kept under the name (`<cache>/links/<name>/…`, `<cache>/tags/<name>/…`),
/// and both vouch for that registry only: when an operator points the name at another URL,
/// the old links would otherwise tell Cistern that the new registry's repositories hold
/// content they may not hold, and old tag records would answer for the new registry's tags.
///
/// The URL is kept in `<cache>/links/<name>/.origin` (repository names never start with `.`).
/// At start-up, a name whose recorded URL differs loses its links and tag records; blobs and
/// manifests stay (they are content-addressed and verified) and are served for the new
/// registry's repositories once it confirms them. A cache without a record (written before
/// records existed) is taken to belong to the URL configured now.
///
/// Runs once per upstream at start-up, before any loop starts; Foundation is fine here.
package enum UpstreamOriginRecord {
    /// Makes `layout`'s links and tags of `name` belong to `url`, removing them if they were
    /// written for another URL.
    /// - Returns: true when stale links and tag records were removed.
    /// - Throws: when the record cannot be written or the stale trees cannot be removed.
    @discardableResult
    package static func claim(name: String, url: String, layout: CacheLayout) throws -> Bool {
        let files = FileManager.default
        let linksDirectory = "\(layout.root)/links/\(name)"
        let recordPath = "\(linksDirectory)/.origin"
        let recorded = (try? String(contentsOfFile: recordPath, encoding: .utf8))?.trimmingCharacters(in: .newlines)
        if recorded == url { return false }
        var removed = false
        if recorded != nil {
            for directory in [linksDirectory, "\(layout.tagsDirectory)/\(name)"] where files.fileExists(atPath: directory) {
                try files.removeItem(atPath: directory)
                removed = true
            }
        }
        try files.createDirectory(atPath: linksDirectory, withIntermediateDirectories: true)
        try Data((url + "\n").utf8).write(to: URL(fileURLWithPath: recordPath), options: .atomic)
        return removed
    }
}
