import ArgumentParser
import Foundation
import Proxy
import ProxyConfig
import ProxyStore

/// `cistern cache stats|verify|gc --cache-dir DIR`: operator tools for a cache directory.
/// `verify` and `gc` refuse a directory a live Cistern holds (its PID is named); `stats`
/// reads it anyway.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect, check or trim a cache directory.",
        subcommands: [Stats.self, Verify.self, GC.self]
    )

    struct Location: ParsableArguments {
        @Option(help: ArgumentHelp("The cache directory.", valueName: "dir"))
        var cacheDir: String = Configuration.embeddedDefault.cacheDirectory

        var layout: CacheLayout { CacheLayout(root: cacheDir) }

        /// Throws unless the directory exists (the tools never create one).
        func requireExisting() throws {
            guard FileManager.default.fileExists(atPath: cacheDir) else {
                throw ValidationError("cache directory \(cacheDir) does not exist")
            }
        }

        /// Locks the directory for a tool that changes or must not race with a server.
        func lock() throws -> CacheDirectoryLock {
            try requireExisting()
            do {
                return try CacheDirectoryLock(directory: cacheDir)
            } catch let failure as CacheDirectoryLock.Failure {
                throw ValidationError("\(failure.description); stop it first")
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Entries, bytes, oldest access and the largest repositories.")

        @OptionGroup var location: Location

        @Option(help: "Repositories to list.") var top = 10

        func run() throws {
            try location.requireExisting()
            let layout = location.layout
            let opened = CacheIndex.open(layout, claim: false)
            let statistics = CacheStatistics(entries: opened.index.snapshot(),
                                             overheadByteCount: CacheFootprint.overheadByteCount(layout), top: top)
            print("cache directory: \(layout.root) (index \(opened.origin.rawValue))")
            print("entries: \(statistics.entryCount) (\(statistics.blobCount) blobs, \(statistics.manifestCount) manifests)")
            print("bytes: \(statistics.countedByteCount) (content \(statistics.contentByteCount), directories and records \(statistics.overheadByteCount))")
            if statistics.primaryByteCount > 0 { print("primary data (not evicted): \(statistics.primaryByteCount) bytes") }
            if let oldest = statistics.oldestAccessSeconds {
                let date = Date(timeIntervalSince1970: TimeInterval(oldest))
                print("oldest access: \(ISO8601DateFormatter().string(from: date))")
            } else {
                print("oldest access: none")
            }
            print("top repositories by bytes:")
            for repository in statistics.topRepositories {
                print("  \(repository.upstream)/\(repository.repository): \(repository.byteCount) bytes, \(repository.entryCount) digests")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every blob and manifest; exit 1 naming each damaged digest.")

        @OptionGroup var location: Location

        func run() throws {
            let lock = try location.lock()
            defer { lock.release() }
            let display = ProgressDisplay(label: "verify")
            let damaged = CacheVerifier.verify(location.layout) { checked, total, bytes in
                display.update(done: checked, total: total, detail: "\(bytes / 1_048_576) MiB")
            }
            for damage in damaged { print("damaged: \(damage)") }
            if !damaged.isEmpty {
                print("\(damaged.count) damaged; remove them (the server moves aside only a blob whose size changed, on its next hit)")
                throw ExitCode(1)
            }
            print("all content verified")
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Apply the size and age limits to a stopped cache.")

        @OptionGroup var location: Location

        @Option(name: .customLong("config"), help: ArgumentHelp("YAML configuration file whose cache_max_size, cache_low_watermark and cache_max_age apply; flags override it.", valueName: "file"))
        var configFile: String?

        @OptionGroup var cacheLimits: CacheLimitOptions

        func run() throws {
            let lock = try location.lock()
            defer { lock.release() }
            var overrides = ConfigurationOverrides()
            cacheLimits.apply(to: &overrides)
            let base = try configFile.map { try Configuration.load(file: $0) } ?? .embeddedDefault
            let limits = try overrides.applied(to: base).cacheLimits
            let display = ProgressDisplay(label: "gc")
            display.update(done: 0, total: 2, detail: "reading the index")
            let outcome = try CacheCollector.collect(location.layout, limits: limits)
            display.update(done: 2, total: 2, detail: "done")
            let report = outcome.report
            print("index: \(outcome.origin.rawValue), \(outcome.entryCount) entries left")
            print("evicted: \(report.evictedCount) entries, \(report.evictedByteCount) bytes (\(report.expiredCount) by age)")
            print("bytes: \(report.usageBefore) before, \(report.usageAfter) after")
        }
    }
}
