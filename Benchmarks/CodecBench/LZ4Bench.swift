#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LanceKernels

/// LZ4 block throughput on the given files: each file is cut into blocks of `LZ4_BENCH_BLOCK` bytes
/// (default 64 KiB, like Lance pages; 0 = whole file as one block), compressed with our encoder, then
/// decoded repeatedly. Prints ratio, encode and decode MB/s (of uncompressed bytes, 1 MB = 10^6 bytes).
/// Compare with the reference: `lz4 -b1 -B4 FILE` (64 KiB blocks).
func benchLZ4(_ files: [String]) {
    let blockSize = Int(getenvString("LZ4_BENCH_BLOCK") ?? "") ?? 65536
    for path in files {
        guard let data = readWholeFile(path) else {
            print("\(path): cannot read")
            continue
        }
        if path.hasSuffix(".lz4blocks") {
            benchReferenceBlocks(path, data)
            continue
        }
        let step = blockSize > 0 ? blockSize : max(data.count, 1)
        let blocks: [[UInt8]] = stride(from: 0, to: data.count, by: step).map { Array(data[$0..<min($0 + step, data.count)]) }

        var compressed: [[UInt8]] = []
        let encodeTime = timeBest(reps: 3) {
            compressed = blocks.map { LZ4.compressBlock($0) }
        }
        let csize = compressed.reduce(0) { $0 + $1.count }
        // Check once, then time.
        for (b, c) in zip(blocks, compressed) {
            guard (try? LZ4.decompressBlock(c, decompressedSize: b.count)) == b else {
                print("\(path): ROUND TRIP FAILED")
                return
            }
        }
        var sink = 0
        let decodeTime = timeBest(reps: 7) {
            for (b, c) in zip(blocks, compressed) {
                let out = (try? LZ4.decompressBlock(c, decompressedSize: b.count)) ?? []
                sink &+= out.count
            }
        }
        let mb = Double(data.count) / 1e6
        let ratio: Double = Double(data.count) / Double(max(csize, 1))
        let enc: Double = mb / encodeTime
        let dec: Double = mb / decodeTime
        print("\(path): \(data.count) bytes, \(blocks.count) blocks, ratio \(fixed(ratio, 3)), "
            + "encode \(fixed(enc, 0)) MB/s, decode \(fixed(dec, 0)) MB/s (sink \(sink))")
    }
}

/// Decodes blocks another encoder wrote (framing: u32 raw size, u32 compressed size, bytes; see
/// scripts/gen-codec-vectors.py benchfiles), so both decoders run on identical input.
func benchReferenceBlocks(_ path: String, _ data: [UInt8]) {
    var blocks: [(raw: Int, bytes: [UInt8])] = []
    var p = 0
    func u32(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24 }
    while p + 8 <= data.count {
        let raw = u32(p), n = u32(p + 4)
        blocks.append((raw, Array(data[(p + 8)..<(p + 8 + n)])))
        p += 8 + n
    }
    let total = blocks.reduce(0) { $0 + $1.raw }
    for b in blocks {
        guard (try? LZ4.decompressBlock(b.bytes, decompressedSize: b.raw)) != nil else {
            print("\(path): DECODE FAILED")
            return
        }
    }
    var sink = 0
    let t = timeBest(reps: 7) {
        for b in blocks { sink &+= ((try? LZ4.decompressBlock(b.bytes, decompressedSize: b.raw)) ?? []).count }
    }
    print("\(path): \(total) bytes in \(blocks.count) reference blocks, decode \(fixed(Double(total) / 1e6 / t, 0)) MB/s (sink \(sink))")
}

func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded() / scale
    return digits == 0 ? String(Int(v)) : String(v)
}

func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

func readWholeFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

/// Best process CPU time in seconds over `reps` runs (CPU time, since the build machine is shared).
func timeBest(reps: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<reps {
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0)
        body()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1)
        best = min(best, Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9)
    }
    return best
}
