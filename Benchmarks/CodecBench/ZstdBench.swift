import Foundation
import LanceKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of this process in seconds (less sensitive than wall time to other load on the machine).
private func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Decode throughput of `Zstd.decompress`.
///
/// Inputs used for the numbers in the zstd report (2026-11-27): `text.raw` = the first 400 `.rs`/`.md`
/// files of the lance mirror concatenated (5.9 MB); `float.raw` = 1,000,000 float32 of a Gaussian random
/// walk rounded to 0.01; `jpeg.raw` = six 512×384 JPEGs (quality 90) of smooth colour fields plus noise.
/// Compressed with `zstd -1/-3/-19 X.raw -o X.zst`; reference speed: `zstd -b -d -i1 X.zst`.
/// Run: `swift build -c release --product codec-bench && .build/release/codec-bench zstd X.zst ...`.
///
/// Each FILE is either a `.zst` stream (made by the reference, e.g. `zstd -3 in -o in.zst`), decoded as is,
/// or any other file, which is first compressed with our own encoder (`Zstd.compress`, level 3) and then decoded.
/// Every file is decoded repeatedly for about one second; the figures are decompressed megabytes (10^6)
/// per second of wall time and per second of process CPU time.
func benchZstd(_ files: [String]) {
    if files.isEmpty { print("usage: codec-bench zstd FILE.zst|FILE ..."); return }
    for path in files {
        guard let data = FileManager.default.contents(atPath: path) else {
            print("\(path): cannot read")
            continue
        }
        var input = [UInt8](data)
        var note = "reference stream"
        if !path.hasSuffix(".zst") {
            input = Zstd.compress(input, level: 3)
            note = "our encoder, level 3"
        }
        let output: [UInt8]
        do {
            output = try Zstd.decompress(input)
        } catch {
            print("\(path): \(error)")
            continue
        }
        let clock = ContinuousClock()
        var runs = 0
        var checksum = 0
        let cpuStart = cpuSeconds()
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            let out = (try? Zstd.decompress(input)) ?? []
            checksum &+= out.count
            runs += 1
            elapsed = clock.now - start
        } while elapsed < .seconds(1) || runs < 3
        let cpu = cpuSeconds() - cpuStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let mbps = Double(output.count) * Double(runs) / seconds / 1e6
        let ratio = Double(output.count) / Double(max(1, input.count))
        let name = (path as NSString).lastPathComponent
        let cpuMBps = Double(output.count) * Double(runs) / cpu / 1e6
        print(String(format: "%@: %d -> %d bytes (ratio %.2f, %@), %d runs, %.1f MB/s wall, %.1f MB/s cpu", name,
                     input.count, output.count, ratio, note, runs, mbps, cpuMBps))
        if checksum != output.count * runs { print("  (inconsistent output sizes)") }
    }
}
