import Foundation

/// Regular files anywhere under a directory, for checking what a cache holds.
enum RegularFiles {
    /// Paths of the regular files under `directory`, at any depth; empty when it does not exist.
    static func under(_ directory: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        return enumerator.compactMap { item in
            guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { return nil }
            return url.path
        }
    }
}
