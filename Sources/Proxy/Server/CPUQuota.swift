import Foundation

/// The CPUs a cgroup v2 CPU quota leaves this process (`cpu.max`, the kernel's
/// Documentation/admin-guide/cgroup-v2.rst): `docker run --cpus`, a Kubernetes CPU limit.
///
/// A cpuset narrows the affinity mask, which `cep_cpu_count` reads; a quota does not. Without
/// this, `workers: 0` under a one-CPU limit on a 32-core node would start 32 loops that are
/// throttled together, each waiting out the quota period (100 ms by default) in turn.
/// Read once at start-up, never on a loop.
package enum CPUQuota {
    /// `ceil(quota / period)` of one `cpu.max` text (`"150000 100000"` → 2); nil for `max`
    /// (no limit) or text that does not parse.
    package static func cpus(cpuMax: String) -> Int? {
        let parts = cpuMax.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count >= 1, let quota = Int(parts[0]), quota > 0 else { return nil }
        let period = parts.count >= 2 ? Int(parts[1]) ?? 100_000 : 100_000
        guard period > 0 else { return nil }
        return max(1, (quota + period - 1) / period)
    }

    /// The smallest limit on this process's cgroup and its ancestors: the v2 line of
    /// `cgroupFile` (`0::/path`) names the cgroup under `root`. Nil when no quota applies or
    /// the files cannot be read (cgroup v1, no /sys).
    package static func limit(cgroupFile: String = "/proc/self/cgroup", root: String = "/sys/fs/cgroup") -> Int? {
        guard let membership = try? String(contentsOfFile: cgroupFile, encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        var components = line.dropFirst(3).split(separator: "/").map(String.init)
        var smallest: Int?
        while true {
            let directory = ([root] + components).joined(separator: "/")
            if let text = try? String(contentsOfFile: directory + "/cpu.max", encoding: .utf8), let cpus = cpus(cpuMax: text) {
                smallest = min(smallest ?? cpus, cpus)
            }
            if components.isEmpty { return smallest }
            components.removeLast()
        }
    }
}
