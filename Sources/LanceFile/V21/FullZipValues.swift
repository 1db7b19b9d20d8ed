import Dispatch
import Foundation
import LanceArrow
import LanceCore
import LanceKernels
import LanceProto

/// Where the variable-width values of a full-zip page lie inside the row runs read for it.
///
/// Parsing only records positions; the values are then copied or decompressed once, straight into
/// the result (and decompressed on every core when there is enough work).
struct FullZipValueRefs {
    /// Values of part `p` are `partEnd[p - 1] ..< partEnd[p]`.
    private(set) var partEnd: [Int] = []
    private(set) var start: [Int] = []
    private(set) var length: [Int] = []

    var count: Int { start.count }

    mutating func append(part: Int, start s: Int, length n: Int) {
        while partEnd.count <= part { partEnd.append(start.count) }
        start.append(s)
        length.append(n)
        partEnd[part] = start.count
    }

    /// Value index range of part `p`.
    func values(ofPart p: Int) -> Range<Int> {
        guard p < partEnd.count else { return count ..< count }
        return (p == 0 ? 0 : partEnd[p - 1]) ..< partEnd[p]
    }

    /// The values copied as they are.
    func gather(_ parts: [Buffer]) -> V21Values {
        var offsets = [Int]()
        offsets.reserveCapacity(count + 1)
        offsets.append(0)
        var total = 0
        for n in length { total += n; offsets.append(total) }
        let data = [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            var o = 0
            for (p, part) in parts.enumerated() {
                part.withUnsafeBytes { raw in
                    for i in values(ofPart: p) where length[i] > 0 {
                        (out.baseAddress! + o).initialize(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start[i],
                                                          count: length[i])
                        o += length[i]
                    }
                }
            }
            initialized = total
        }
        return .variable(offsets: offsets, data: data)
    }

    /// Compressed bytes below which a page's values are decompressed on the calling thread.
    static let parallelThreshold = 512 * 1024

    /// The values decompressed one by one (general compression: each value is its own buffer).
    func decompress(_ parts: [Buffer], scheme: Lance_Encodings21_CompressionScheme,
                    parallelThreshold: Int = FullZipValueRefs.parallelThreshold) throws -> V21Values {
        if scheme == .compressionAlgorithmZstd, let sizes = try prefixedZstdSizes(parts) {
            return try decompressZstd(parts, sizes: sizes, parallelThreshold: parallelThreshold)
        }
        // Other schemes, or zstd frames without a length prefix: one at a time.
        var offsets = [0]
        offsets.reserveCapacity(count + 1)
        var out = [UInt8]()
        for (p, part) in parts.enumerated() {
            for i in values(ofPart: p) {
                if length[i] > 0 {
                    out.append(contentsOf: try V21General.decompress(part.slice(start[i], length[i]), scheme: scheme, limit: 1 << 31))
                }
                offsets.append(out.count)
            }
        }
        return .variable(offsets: offsets, data: out)
    }

    /// Decoded sizes of values stored as `[u64 size][zstd frame]`, or nil when some value is a bare frame.
    private func prefixedZstdSizes(_ parts: [Buffer]) throws -> [Int]? {
        var sizes = [Int](repeating: 0, count: count)
        var total = 0
        for (p, part) in parts.enumerated() {
            for i in values(ofPart: p) where length[i] > 0 {
                guard length[i] >= 4 else { throw LanceError.corrupt("zstd value of \(length[i]) bytes is truncated") }
                if part.load(UInt32.self, byteOffset: start[i]) == 0xFD2F_B528 { return nil }
                guard length[i] >= 8 else { throw LanceError.corrupt("zstd value of \(length[i]) bytes lacks its length prefix") }
                let n = part.load(UInt64.self, byteOffset: start[i])
                guard n <= UInt64(Int32.max) else {
                    throw LanceError.corrupt("zstd value declares \(n) bytes, over the limit \(Int32.max)")
                }
                sizes[i] = Int(n)
                total += Int(n)
                guard total <= Int(Int32.max) * 4 else { throw LanceError.corrupt("zstd values declare \(total) bytes in one page") }
            }
        }
        return sizes
    }

    private func decompressZstd(_ parts: [Buffer], sizes: [Int], parallelThreshold: Int) throws -> V21Values {
        var offsets = [Int](repeating: 0, count: count + 1)
        for i in 0 ..< count { offsets[i + 1] = offsets[i] + sizes[i] }
        let total = offsets[count]
        // Chunks of about equal compressed size, one per core.
        let compressed = length.reduce(0, +)
        let cores = max(1, DispatchCoreCount.value)
        let chunkCount = compressed < parallelThreshold || count < 2 ? 1 : min(cores, count)
        var bounds = [0]
        if chunkCount > 1 {
            let target = (compressed + chunkCount - 1) / chunkCount
            var acc = 0
            for i in 0 ..< count {
                acc += length[i]
                if acc >= target * bounds.count && bounds.count < chunkCount && i + 1 < count { bounds.append(i + 1) }
            }
        }
        bounds.append(count)
        // Which part each value lives in.
        var partOf = [Int32](repeating: 0, count: count)
        for p in parts.indices { for i in values(ofPart: p) { partOf[i] = Int32(p) } }

        let errors = ChunkErrors(bounds.count - 1)
        let cut = bounds, home = partOf, at = offsets, start = start, length = length
        let data = [UInt8](unsafeUninitializedCapacity: total + Zstd.outputSlack) { out, initialized in
            let base = UnsafeSendablePointer(out.baseAddress!)
            let work: @Sendable (Int) -> Void = { c in
                let decoder = Zstd.Decoder()
                let lo = cut[c], hi = cut[c + 1]
                let isLastChunk = c == cut.count - 2
                do {
                    for i in lo ..< hi where length[i] > 0 {
                        let part = parts[Int(home[i])]
                        let dst = base.pointer + at[i]
                        // The last value of a chunk must not scribble into the next chunk's output.
                        let scratch = i == hi - 1 && !isLastChunk
                        try part.withUnsafeBytes { raw in
                            let src = UnsafeRawBufferPointer(rebasing: raw[start[i] + 8 ..< start[i] + length[i]])
                            do throws(CodecError) {
                                if scratch {
                                    let tmp = UnsafeMutablePointer<UInt8>.allocate(capacity: sizes[i] + Zstd.outputSlack)
                                    defer { tmp.deallocate() }
                                    try decoder.decompress(src, into: tmp, count: sizes[i])
                                    dst.update(from: tmp, count: sizes[i])
                                } else {
                                    try decoder.decompress(src, into: dst, count: sizes[i])
                                }
                            } catch {
                                throw codecError(error, "zstd value \(i)")
                            }
                        }
                    }
                } catch {
                    errors.set(c, error)
                }
            }
            if bounds.count == 2 { work(0) } else { DispatchQueue.concurrentPerform(iterations: bounds.count - 1, execute: work) }
            initialized = errors.first == nil ? total : 0
        }
        if let e = errors.first { throw e }
        return .variable(offsets: offsets, data: data)
    }
}

/// The number of cores decompression may use.
enum DispatchCoreCount {
    static let value = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
}

/// A pointer shared by the chunk workers of one decompression; each writes a disjoint range.
struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ p: UnsafeMutablePointer<UInt8>) { pointer = p }
}

/// One error slot per chunk worker (each worker writes only its own slot).
final class ChunkErrors: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Error?>
    init(_ n: Int) {
        slots = .allocate(capacity: n)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func set(_ i: Int, _ e: Error) { slots[i] = e }
    var first: Error? { slots.lazy.compactMap { $0 }.first }
}
