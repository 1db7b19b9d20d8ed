import Dispatch
import LanceArrow
import LanceCore
import LanceKernels
import LanceProto

/// Take of a string/binary leaf column whose pages are all full-zip without repetition (the way
/// large values such as images are stored).
///
/// The general path decodes each page's values into its own array, concatenates the pages and
/// copies the result into Arrow buffers: three passes over every byte taken. Here the taken rows
/// of all pages are first located in place (their zipped bytes are read, one read per run of
/// consecutive rows), the result is sized from the value lengths (or the sizes zstd values
/// declare), and each value is then copied or decompressed once, straight into the one Arrow data
/// buffer of the column, on every core.
enum FullZipTake {
    /// Compressed bytes below which the values are written on the calling thread.
    static let parallelThreshold = FullZipValueRefs.parallelThreshold

    /// One taken value: where its stored bytes are and where its decoded bytes go.
    struct Value {
        var part: Int32
        var zstd: Bool
        var start: Int
        var length: Int
        var size: Int
    }

    /// The array of `field` at the taken rows, or nil when the column does not qualify (the general
    /// path then decodes it). `jobs` are the pages with their page-relative rows, in row order.
    static func take(_ file: LanceFileReader, field: LanceField, jobs: [(page: V21Page, rows: [Int])], count: Int,
                     parallelThreshold: Int = FullZipTake.parallelThreshold) async throws -> ArrayData? {
        let large: Bool
        switch field.type {
        case .utf8, .binary: large = false
        case .largeUtf8, .largeBinary: large = true
        default: return nil
        }
        guard !jobs.isEmpty, jobs.reduce(0, { $0 + $1.rows.count }) == count else { return nil }
        var zips: [(zip: FullZip, zstd: Bool, nullable: Bool)] = []
        for job in jobs {
            guard case .fullZipLayout(let z)? = job.page.layout.layout, z.bitsRep == 0, z.layers.count == 1,
                  case .bitsPerOffset? = z.details,
                  case .item(let nullable) = try V21Layer.from(z.layers[0]) else { return nil }
            let zstd: Bool
            switch z.valueCompression.compression {
            case .variable?: zstd = false
            case .general(let g)? where g.compression.scheme == .compressionAlgorithmZstd:
                if case .fsst? = g.values.compression { return nil }
                zstd = true
            default: return nil
            }
            zips.append((FullZip(page: job.page, layout: z, kind: .variable), zstd, nullable))
        }

        // 1. Read and walk the zipped rows of every page (pages concurrently).
        let located = try await locateAll(file, jobs: jobs, zips: zips.map { ($0.zip, $0.nullable) })

        // 2. Size every value.
        var parts: [Buffer] = []
        var values: [Value] = []
        values.reserveCapacity(count)
        var defs: [UInt16]? = nil
        var total = 0
        for (j, (pageParts, loc)) in located.enumerated() {
            let zstd = zips[j].zstd
            if let d = loc.defs, d.contains(where: { $0 != 0 }) {
                if defs == nil { defs = [UInt16](repeating: 0, count: values.count) }
                defs!.append(contentsOf: d)
            } else {
                defs?.append(contentsOf: repeatElement(0, count: loc.refs.count))
            }
            let base = parts.count
            parts.append(contentsOf: pageParts)
            for p in pageParts.indices {
                let part = pageParts[p]
                for i in loc.refs.values(ofPart: p) {
                    let s = loc.refs.start[i], n = loc.refs.length[i]
                    var size = n
                    if zstd && n > 0 {
                        do {
                            guard n >= 4 else { throw LanceError.corrupt("zstd value of \(n) bytes is truncated") }
                            // A bare frame (no size prefix): leave it to the general path.
                            if part.load(UInt32.self, byteOffset: s) == 0xFD2F_B528 { return nil }
                            guard n >= 8 else { throw LanceError.corrupt("zstd value of \(n) bytes lacks its length prefix") }
                            let declared = part.load(UInt64.self, byteOffset: s)
                            guard declared <= UInt64(Int32.max) else {
                                throw LanceError.corrupt("zstd value declares \(declared) bytes, over the limit \(Int32.max)")
                            }
                            size = Int(declared)
                        } catch let e as LanceError {
                            var e = e
                            e.message = "\(jobs[j].page.label): \(e.message)"
                            throw e
                        }
                    }
                    values.append(Value(part: Int32(base + p), zstd: zstd, start: s, length: n, size: size))
                    total += size
                    guard total <= Int(Int32.max) * 4 else {
                        throw LanceError.corrupt("taken values declare \(total) bytes")
                    }
                }
            }
        }
        guard values.count == count else {
            throw LanceError.corrupt("full-zip pages hold \(values.count) values for \(count) taken rows")
        }
        guard large || total <= Int(Int32.max) else {
            throw LanceError.unsupported("\(field.type) column holds more than 2 GiB in one read; use large types")
        }

        // 3. Offsets, then the values written in place.
        let offsets = Buffer(uninitializedCount: (count + 1) * (large ? 8 : 4)) { raw in
            var at = 0
            if large {
                let o = raw.bindMemory(to: Int64.self)
                o[0] = 0
                for (i, v) in values.enumerated() { at += v.size; o[i + 1] = Int64(at) }
            } else {
                let o = raw.bindMemory(to: Int32.self)
                o[0] = 0
                for (i, v) in values.enumerated() { at += v.size; o[i + 1] = Int32(at) }
            }
        }
        let storage = try Buffer(uninitializedCount: total + Zstd.outputSlack) { raw in
            try write(values, parts: parts, into: raw.baseAddress!.assumingMemoryBound(to: UInt8.self),
                      parallelThreshold: parallelThreshold)
        }
        let validity = defs.map { d in Bitmap(d.map { $0 == 0 }) }
        return ArrayData(type: field.type, count: count, validity: validity, buffers: [offsets, storage.slice(0, total)])
    }

    /// Reads and walks the taken rows of each page; pages run concurrently.
    static func locateAll(_ file: LanceFileReader, jobs: [(page: V21Page, rows: [Int])],
                          zips: [(zip: FullZip, nullable: Bool)]) async throws -> [([Buffer], FullZip.Located)] {
        @Sendable func one(_ j: Int) async throws -> ([Buffer], FullZip.Located) {
            let (zip, nullable) = zips[j]
            let rows = jobs[j].rows
            do {
                let parts = try await zip.readRuns(file, rows: rows)
                let loc = try zip.locate(parts, rows: rows.count, maxVisible: nullable ? 1 : 0)
                guard loc.refs.count == rows.count, loc.defs.map({ $0.count == rows.count }) ?? true else {
                    throw LanceError.corrupt("zipped rows hold \(loc.refs.count) values for \(rows.count) rows")
                }
                return (parts, loc)
            } catch let e as LanceError {
                var e = e
                e.message = "\(jobs[j].page.label): \(e.message)"
                throw e
            }
        }
        if jobs.count == 1 { return [try await one(0)] }
        return try await withThrowingTaskGroup(of: (Int, [Buffer], FullZip.Located).self) { group in
            var results = [([Buffer], FullZip.Located)?](repeating: nil, count: jobs.count)
            var next = 0
            while next < min(V21Decoding.takeConcurrency, jobs.count) {
                let j = next
                group.addTask { let r = try await one(j); return (j, r.0, r.1) }
                next += 1
            }
            while let (j, parts, loc) = try await group.next() {
                results[j] = (parts, loc)
                if next < jobs.count {
                    let k = next
                    group.addTask { let r = try await one(k); return (k, r.0, r.1) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// Copies or decompresses every value to its place in `out` (room for the total plus
    /// `Zstd.outputSlack`), in chunks of about equal stored size, one per core.
    static func write(_ values: [Value], parts: [Buffer], into out: UnsafeMutablePointer<UInt8>,
                      parallelThreshold: Int) throws {
        let n = values.count
        var at = [Int](repeating: 0, count: n + 1)
        var stored = 0
        for i in 0 ..< n { at[i + 1] = at[i] + values[i].size; stored += values[i].length }
        let cores = DispatchCoreCount.value
        let chunkCount = stored < parallelThreshold || n < 2 ? 1 : min(cores, n)
        var bounds = [0]
        if chunkCount > 1 {
            let target = (stored + chunkCount - 1) / chunkCount
            var acc = 0
            for i in 0 ..< n {
                acc += values[i].length
                if acc >= target * bounds.count && bounds.count < chunkCount && i + 1 < n { bounds.append(i + 1) }
            }
        }
        bounds.append(n)
        let errors = ChunkErrors(bounds.count - 1)
        let cut = bounds, dstAt = at
        let base = UnsafeSendablePointer(out)
        let work: @Sendable (Int) -> Void = { c in
            let decoder = Zstd.Decoder()
            let lo = cut[c], hi = cut[c + 1]
            let isLastChunk = c == cut.count - 2
            do {
                for i in lo ..< hi {
                    let v = values[i]
                    guard v.length > 0 else { continue }
                    let dst = base.pointer + dstAt[i]
                    try parts[Int(v.part)].withUnsafeBytes { raw in
                        if !v.zstd {
                            dst.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + v.start, count: v.length)
                            return
                        }
                        let src = UnsafeRawBufferPointer(rebasing: raw[v.start + 8 ..< v.start + v.length])
                        // The last value of a chunk must not scribble into the next chunk's output.
                        let scratch = i == hi - 1 && !isLastChunk
                        do throws(CodecError) {
                            if scratch {
                                let tmp = UnsafeMutablePointer<UInt8>.allocate(capacity: v.size + Zstd.outputSlack)
                                defer { tmp.deallocate() }
                                try decoder.decompress(src, into: tmp, count: v.size)
                                dst.update(from: tmp, count: v.size)
                            } else {
                                try decoder.decompress(src, into: dst, count: v.size)
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
        if let e = errors.first { throw e }
    }
}
