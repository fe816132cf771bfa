import Foundation

/// Memory of a server process and its descendants (nginx workers, Varnish's child), as the
/// sum of their proportional set sizes (PSS, /proc/PID/smaps_rollup): shared pages are split
/// between the processes that share them, so master + workers are not double-counted.
public enum ProcessMemory {
    /// PSS of `pid` and every descendant, in bytes (nil when `pid` is gone).
    public static func proportionalBytes(ofTree pid: Int32) -> Int64? {
        let tree = [pid] + descendants(of: pid)
        var total: Int64 = 0
        var found = false
        for member in tree {
            guard let text = try? String(contentsOfFile: "/proc/\(member)/smaps_rollup", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("Pss:") {
                let kib = line.split(separator: " ").compactMap { Int64($0) }.first ?? 0
                total += kib * 1024
                found = true
            }
        }
        return found ? total : nil
    }

    /// Every process whose parent chain leads to `pid`.
    public static func descendants(of pid: Int32) -> [Int32] {
        var parentOf: [Int32: Int32] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name: state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parentOf[child] = parent }
        }
        var result: [Int32] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            let children = parentOf.filter { $0.value == next }.map(\.key)
            result += children
            frontier += children
        }
        return result
    }
}
