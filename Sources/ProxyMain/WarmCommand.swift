import ArgumentParser
import Foundation
import ProxyConfig
import ProxyPullThrough
import ProxyWarm

/// `cistern warm IMAGE...`: pulls images through a running mirror (manifests, then blobs, all
/// bodies read, verified and discarded) so that later pulls are cache hits. Exits 1 naming
/// every image that failed and why.
struct WarmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warm",
        abstract: "Pull images through a running mirror so that later pulls are cache hits.",
        discussion: """
            Uses the ordinary pull API (manifest by tag with the full Accept list, the chosen \
            platform's manifest by digest, then config and layer blobs by digest), so behind a \
            load balancer each digest warms the node that owns it. IMAGE is [HOST/]NAME[:TAG][@DIGEST]: \
            with a HOST (a first component with '.' or ':', or 'localhost') requests carry \
            ?ns=HOST and go to the upstream of that name; without one they go to the mirror's \
            default upstream. Every body is checked against its digest.
            """
    )

    private static let defaultMirror = "http://127.0.0.1:\(Configuration.embeddedDefault.listen.port)"

    @Argument(help: ArgumentHelp("Images to warm, e.g. library/busybox:1.36 or ghcr.io/org/app@sha256:…", valueName: "image"))
    var images: [String] = []

    @Option(help: ArgumentHelp("File listing images, one a line; blank lines and # comments are ignored.", valueName: "file"))
    var fromFile: String?

    @Option(help: ArgumentHelp("Base URL of the mirror.", valueName: "url"))
    var mirror: String = defaultMirror

    @Option(help: ArgumentHelp("PEM file of CA certificates to trust for an https mirror (default: the system's).", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("Platform to take from a multi-platform image (default: this machine's, \(MachinePlatform.current)).",
                               valueName: "os/arch[/variant]"))
    var platform: String?

    @Flag(help: "Warm every platform of a multi-platform image.")
    var allPlatforms = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Requests at once.", valueName: "n"))
    var concurrency = 4

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest silence while connecting, sending or receiving (default: 60s).", valueName: "duration"),
            transform: FlagValue.duration)
    var timeout: Duration = .seconds(60)

    func validate() throws {
        if platform != nil && allPlatforms { throw ValidationError("--platform and --all-platforms exclude each other") }
        if let platform, Platform(parsing: platform) == nil {
            throw ValidationError("--platform \(platform): expected os/arch or os/arch/variant, e.g. linux/arm64")
        }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        if images.isEmpty && fromFile == nil { throw ValidationError("name at least one image, or --from-file") }
    }

    func run() throws {
        let references = try imageReferences()
        guard !references.isEmpty else { throw ValidationError("\(fromFile ?? "the arguments") names no image") }
        let origin: MirrorOrigin
        do {
            origin = try MirrorOrigin(parsing: mirror)
        } catch {
            throw ValidationError("--mirror \(error)")
        }
        var tlsContext: MirrorTLSContext?
        if origin.isTLS || caFile != nil {
            do {
                tlsContext = try MirrorTLSContext(caFile: caFile)
            } catch {
                throw ValidationError("--ca-file: \(error)")
            }
        }
        let selected = allPlatforms ? nil : platform.flatMap(Platform.init(parsing:)) ?? MachinePlatform.current
        let options = WarmOptions(platform: selected, concurrency: concurrency, timeout: timeout,
                                  userAgent: "cistern-warm/\(CisternCommand.version)")
        let display = WarmProgressDisplay()
        let started = ContinuousClock.now
        let outcomes = ImageWarmer(origin: origin, tlsContext: tlsContext, options: options)
            .warm(references) { display.show($0) }
        display.finish()
        let elapsed = ContinuousClock.now - started

        var failedCount = 0
        for outcome in outcomes {
            if outcome.succeeded {
                print("warmed \(outcome.image) \(outcome.rootDigest.map { "\($0)" } ?? "") (\(outcome.manifestCount) manifests, \(outcome.blobCount) blobs, \(outcome.byteCount) bytes)")
            } else {
                failedCount += 1
                for failure in outcome.failures { print("failed \(outcome.image): \(failure)") }
            }
        }
        let totals = display.last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(outcomes.count - failedCount) of \(outcomes.count) images warm through \(origin): "
              + "\(totals.finishedBlobCount) distinct blobs, \(totals.receivedByteCount) bytes in \(String(format: "%.1f", seconds)) s")
        if failedCount > 0 { throw ExitCode(1) }
    }

    /// The arguments, then the lines of `--from-file`, parsed.
    private func imageReferences() throws -> [ImageReference] {
        var references: [ImageReference] = []
        do {
            for text in images { references.append(try ImageReference(parsing: text)) }
        } catch {
            throw ValidationError(error.description)
        }
        if let fromFile {
            let text: String
            do {
                text = try String(contentsOfFile: fromFile, encoding: .utf8)
            } catch {
                throw ValidationError("--from-file \(fromFile): cannot read it (\(error.localizedDescription))")
            }
            do {
                references += try ImageReferenceList.parse(text)
            } catch {
                throw ValidationError("--from-file \(fromFile): \(error.description)")
            }
        }
        return references
    }
}
