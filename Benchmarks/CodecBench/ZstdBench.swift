import Foundation
import LanceKernels

/// Decode throughput of `Zstd.decompress`.
///
/// Each FILE is either a `.zst` stream (made by the reference, e.g. `zstd -3 in -o in.zst`), decoded as is,
/// or any other file, which is first compressed with our own encoder (`Zstd.compress`, level 3) and then decoded.
/// Every file is decoded repeatedly for about one second; the figure is decompressed megabytes (10^6) per second.
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
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            let out = (try? Zstd.decompress(input)) ?? []
            checksum &+= out.count
            runs += 1
            elapsed = clock.now - start
        } while elapsed < .seconds(1) || runs < 3
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let mbps = Double(output.count) * Double(runs) / seconds / 1e6
        let ratio = Double(output.count) / Double(max(1, input.count))
        let name = (path as NSString).lastPathComponent
        print(String(format: "%@: %d -> %d bytes (ratio %.2f, %@), %d runs, %.1f MB/s", name, input.count, output.count,
                     ratio, note, runs, mbps))
        if checksum != output.count * runs { print("  (inconsistent output sizes)") }
    }
}
