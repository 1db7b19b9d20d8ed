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
    let blockSize = Int(lz4BenchEnv("LZ4_BENCH_BLOCK") ?? "") ?? 65536
    for path in files {
        guard let data = lz4BenchRead(path) else {
            print("\(path): cannot read")
            continue
        }
        if path.hasSuffix(".lz4blocks") {
            lz4BenchReferenceBlocks(path, data)
            continue
        }
        let step = blockSize > 0 ? blockSize : max(data.count, 1)
        let blocks: [[UInt8]] = stride(from: 0, to: data.count, by: step).map { Array(data[$0..<min($0 + step, data.count)]) }

        var compressed: [[UInt8]] = []
        let encodeTime = lz4BenchTime(reps: 3) {
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
        let decodeTime = lz4BenchTime(reps: 7) {
            for (b, c) in zip(blocks, compressed) {
                let out = (try? LZ4.decompressBlock(c, decompressedSize: b.count)) ?? []
                sink &+= out.count
            }
        }
        let mb = Double(data.count) / 1e6
        let ratio: Double = Double(data.count) / Double(max(csize, 1))
        let enc: Double = mb / encodeTime
        let dec: Double = mb / decodeTime
        print("\(path): \(data.count) bytes, \(blocks.count) blocks, ratio \(lz4BenchFixed(ratio, 3)), "
            + "encode \(lz4BenchFixed(enc, 0)) MB/s, decode \(lz4BenchFixed(dec, 0)) MB/s (sink \(sink))")
    }
    if lz4BenchEnv("CODEC_BENCH_EXTRA") == "1" { lz4BenchExtras(files) }
}

/// Decodes blocks another encoder wrote (framing: u32 raw size, u32 compressed size, bytes; see
/// scripts/gen-codec-vectors.py benchfiles), so both decoders run on identical input.
func lz4BenchReferenceBlocks(_ path: String, _ data: [UInt8]) {
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
    let t = lz4BenchTime(reps: 7) {
        for b in blocks { sink &+= ((try? LZ4.decompressBlock(b.bytes, decompressedSize: b.raw)) ?? []).count }
    }
    print("\(path): \(total) bytes in \(blocks.count) reference blocks, decode \(lz4BenchFixed(Double(total) / 1e6 / t, 0)) MB/s (sink \(sink))")
}

func lz4BenchFixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded() / scale
    return digits == 0 ? String(Int(v)) : String(v)
}

func lz4BenchEnv(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}

func lz4BenchRead(_ path: String) -> [UInt8]? {
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
func lz4BenchTime(reps: Int, _ body: () -> Void) -> Double {
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

/// Extra numbers printed by `codec-bench lz4` when CODEC_BENCH_EXTRA=1: FSST on the lines of each `.txt`
/// file and FastLanes unpacking of u32 blocks.
func lz4BenchExtras(_ files: [String]) {
    for path in files where path.hasSuffix(".txt") {
        guard let data = lz4BenchRead(path) else { continue }
        let lines = data.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
        var result = FSST.compress(strings: lines, minimumInputSize: 0)
        let encode = lz4BenchTime(reps: 3) { result = FSST.compress(strings: lines, minimumInputSize: 0) }
        var sink = 0
        let decode = lz4BenchTime(reps: 7) {
            sink &+= ((try? FSST.decompress(symbolTable: result.symbolTable, compressed: result.bytes, offsets: result.offsets))?.bytes.count) ?? 0
        }
        let mb = Double(data.count) / 1e6
        print("\(path): FSST ratio \(lz4BenchFixed(Double(data.count) / Double(result.bytes.count), 3)), "
            + "train+encode \(lz4BenchFixed(mb / encode, 0)) MB/s, decode \(lz4BenchFixed(mb / decode, 0)) MB/s (sink \(sink))")
    }
    var values = [UInt32](repeating: 0, count: 1024)
    for i in values.indices { values[i] = UInt32(truncatingIfNeeded: i &* 2_654_435_761) }
    var out = [UInt32](repeating: 0, count: 1024)
    for width in [1, 3, 8, 13, 17, 32] {
        let packed = FastLanes.pack(values, bitWidth: width)
        let reps = 20_000
        var sink: UInt32 = 0
        let t = lz4BenchTime(reps: 3) {
            packed.withUnsafeBytes { p in
                out.withUnsafeMutableBufferPointer { o in
                    for _ in 0..<reps {
                        try? FastLanes.unpack(p, bitWidth: width, into: o)
                        sink &+= o[7]
                    }
                }
            }
        }
        let valuesPerSecond = Double(reps * 1024) / t
        print("FastLanes u32 unpack width \(width): \(lz4BenchFixed(valuesPerSecond / 1e9, 2)) G values/s (sink \(sink))")
    }
}
