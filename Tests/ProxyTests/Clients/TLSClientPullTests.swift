import Foundation
import Testing

/// Real clients pull over Cistern's TLS listen address (issue 14, part 2), trusting only the
/// test CA they are given; the certificate is a chain (leaf + intermediate under that root),
/// so a pull verifies only if Cistern sends the intermediate. Every pulled digest is checked
/// against what was pushed upstream (`ClientPullScenario`).
@Suite(.serialized) struct TLSClientPullTests {
    @Test func skopeoVerifyingWithTheGivenCAPullsAnOCIImageColdThenWarmOverTLS() async throws {
        let certificates = try TemporaryDirectory(prefix: "cistern-tls-clients")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: certificates.url)
        let hub = try await DockerHubMirror(tls: authority)
        var skopeo = Skopeo()
        skopeo.tlsVerify = true
        skopeo.certificateDirectory = authority.certificateDirectory
        try await ClientPullScenario(hub: hub, client: hub.skopeo(skopeo)).pullColdThenWarm(.ociManifest, seed: 1411)
    }

    @Test func skopeoPullsTheAmd64ImageOfAnIndexOverTLS() async throws {
        let certificates = try TemporaryDirectory(prefix: "cistern-tls-clients")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: certificates.url)
        let hub = try await DockerHubMirror(tls: authority)
        var skopeo = Skopeo()
        skopeo.tlsVerify = true
        skopeo.certificateDirectory = authority.certificateDirectory
        try await ClientPullScenario(hub: hub, client: hub.skopeo(skopeo)).pullColdThenWarm(.ociIndex, seed: 1421)
    }

    /// podman with Cistern as its `docker.io` mirror, not `insecure`, trusting the CA through
    /// `--cert-dir`: the pulls can only pass through Cistern over verified TLS (`docker.io`
    /// itself is a closed port).
    @Test func podmanVerifyingWithTheGivenCAPullsADockerImageThroughTheTLSMirror() async throws {
        let certificates = try TemporaryDirectory(prefix: "cistern-tls-clients")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: certificates.url)
        let hub = try await DockerHubMirror(tls: authority)
        let podman = try hub.podman(certificateDirectory: authority.certificateDirectory)
        try await ClientPullScenario(hub: hub, client: podman).pullColdThenWarm(.dockerSchema2, seed: 1431)
    }

    /// dockerd with `registry-mirrors: ["https://<cistern>"]`, trusting the root CA from
    /// `certs.d/<host:port>/ca.crt`: Docker Hub is unreachable, so the pulls pass only through
    /// Cistern over verified TLS.
    @Test func dockerdVerifyingWithTheGivenCAPullsAnOCIImageThroughTheTLSMirror() async throws {
        let certificates = try TemporaryDirectory(prefix: "cistern-tls-clients")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: certificates.url)
        let hub = try await DockerHubMirror(tls: authority)
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let daemon = try await hub.dockerDaemon(on: containerd, mirrorCA: authority.caCertificateURL)
        defer { daemon.stop() }
        try await ClientPullScenario(hub: hub, client: DockerClient(daemon: daemon)).pullColdThenWarm(.ociManifest, seed: 1441)
    }

    /// The control: without the CA, skopeo's verification refuses Cistern's certificate, so
    /// the pulls above did verify it.
    @Test func skopeoWithoutTheCARefusesTheCertificate() async throws {
        let certificates = try TemporaryDirectory(prefix: "cistern-tls-clients")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: certificates.url)
        let hub = try await DockerHubMirror(tls: authority)
        var skopeo = Skopeo()
        skopeo.tlsVerify = true
        skopeo.timeout = .seconds(20)
        do {
            try await skopeo.copy("\(hub.cistern.hostAndPort)/library/none:v1", to: hub.workDirectory.appending("refused"))
            Issue.record("skopeo pulled without trusting the CA")
        } catch let failure as ChildProcess.Failure {
            #expect("\(failure)".contains("certificate"), "\(failure)")
        }
    }
}
