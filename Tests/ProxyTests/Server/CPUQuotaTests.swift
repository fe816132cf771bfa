import Foundation
import Testing

@testable import Proxy

/// `workers: 0` stays within a cgroup v2 CPU quota: `cpu.max` texts, and the smallest quota
/// along a process's cgroup path, read from a cgroup tree laid out in a temporary directory.
@Suite struct CPUQuotaTests {
    @Test(arguments: [
        ("max 100000\n", nil), ("100000 100000\n", 1), ("150000 100000\n", 2), ("50000 100000", 1),
        ("400000 100000", 4), ("200000", 2), ("", nil), ("max", nil), ("-1 100000", nil), ("100000 0", nil),
    ] as [(String, Int?)])
    func cpuMaxTextsGiveTheirQuotaRoundedUp(text: String, cpus: Int?) {
        #expect(CPUQuota.cpus(cpuMax: text) == cpus)
    }

    @Test func theSmallestQuotaAlongTheCgroupPathWins() throws {
        let work = try TemporaryDirectory()
        let root = work.url.path
        for (path, cpuMax) in [("kubepods", "max 100000"), ("kubepods/pod1", "250000 100000"), ("kubepods/pod1/c1", "max 100000")] {
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
            try Data(cpuMax.utf8).write(to: URL(fileURLWithPath: root + "/" + path + "/cpu.max"))
        }
        let membership = work.appending("cgroup")
        try Data("0::/kubepods/pod1/c1\n".utf8).write(to: membership)
        #expect(CPUQuota.limit(cgroupFile: membership.path, root: root) == 3)
        try Data("max 100000".utf8).write(to: URL(fileURLWithPath: root + "/kubepods/pod1/cpu.max"))
        #expect(CPUQuota.limit(cgroupFile: membership.path, root: root) == nil)
        // A container sees its own cgroup as the root: "0::/", cpu.max at the top.
        try Data("0::/\n".utf8).write(to: membership)
        try Data("100000 100000".utf8).write(to: URL(fileURLWithPath: root + "/cpu.max"))
        #expect(CPUQuota.limit(cgroupFile: membership.path, root: root) == 1)
    }

    @Test func cgroupV1MembershipOrNoFilesMeanNoQuota() throws {
        let work = try TemporaryDirectory()
        let membership = work.appending("cgroup")
        try Data("12:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n".utf8).write(to: membership)
        #expect(CPUQuota.limit(cgroupFile: membership.path, root: work.url.path) == nil)
        #expect(CPUQuota.limit(cgroupFile: work.appending("missing").path, root: work.url.path) == nil)
    }
}
