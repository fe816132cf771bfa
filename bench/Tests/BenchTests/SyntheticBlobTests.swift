import BenchCore
import Glibc
import Testing

@Suite struct SyntheticBlobTests {
    @Test func theDigestIsTheSHA256OfTheWrittenBytes() throws {
        let blob = SyntheticBlob(seed: 7, byteCount: 1_500_000)  // crosses the 1 MiB pattern end
        let path = "/tmp/cistern-bench-test-\(getpid())"
        defer { unlink(path) }
        #expect(blob.write(toPath: path))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1_500_000)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(n == 1_500_000)
        #expect(SHA256Hasher.digest(of: bytes) == blob.digest)
        #expect("sha256:" + blob.digest(of: 0..<1_500_000) == blob.digest)
        #expect(SHA256Hasher.digest(of: Array(bytes[1_000_000...])) == "sha256:" + blob.digest(of: 1_000_000..<1_500_000))
    }

    @Test func differentSeedsGiveDifferentDigests() {
        #expect(SyntheticBlob(seed: 1, byteCount: 4096).digest != SyntheticBlob(seed: 2, byteCount: 4096).digest)
    }
}
