import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceKernels

/// A fixed-size-list column of float16/float32/float64 that vector search can rank.
struct VectorColumn: Sendable {
    let field: LanceField
    let dim: Int
    let itemType: DataType

    var name: String { field.name }

    static func isVector(_ type: DataType) -> (dim: Int, item: DataType)? {
        guard case .fixedSizeList(let item, let n) = type, n > 0,
              [DataType.float16, .float32, .float64].contains(item.type) else { return nil }
        return (n, item.type)
    }
}

extension Dataset {
    /// The vector column named `name`, or the dataset's only vector column when nil.
    func vectorColumn(_ name: String?) throws -> VectorColumn {
        if let name {
            guard let f = lanceSchema.field(named: name) else {
                throw LanceError(.invalidInput,
                                 "no column named `\(name)` (columns: \(lanceSchema.fields.map(\.name).joined(separator: ", ")))",
                                 column: name)
            }
            guard let (dim, item) = VectorColumn.isVector(f.type) else {
                throw LanceError(.invalidInput,
                                 "column `\(name)` is \(f.type), not a vector column (fixed_size_list of float16/float32/float64)",
                                 column: name)
            }
            return VectorColumn(field: f, dim: dim, itemType: item)
        }
        let candidates = lanceSchema.fields.compactMap { f in VectorColumn.isVector(f.type).map { (f, $0) } }
        guard candidates.count == 1, let (f, v) = candidates.first else {
            throw LanceError(.invalidInput, candidates.isEmpty
                ? "the dataset has no vector column (fixed_size_list of float16/float32/float64)"
                : "the dataset has several vector columns (\(candidates.map(\.0.name).joined(separator: ", "))); name one")
        }
        return VectorColumn(field: f, dim: v.dim, itemType: v.item)
    }

    /// Exact k-nearest over `fragments` (row addresses allowed by `mask`), in parallel over row ranges.
    func exactSearch(column: VectorColumn, query: [Float], metric: DistanceMetric, k: Int, mask: RowMask,
                     fragments: [Fragment], cache: VectorCache = .shared) async throws -> [Neighbor] {
        // Units of about 512 KB of vectors: a worker's scratch buffer stays in its core's L2 cache
        // between the read that fills it and the distance pass.
        let rowBytes = column.dim * (column.itemType.byteWidth ?? 4)
        let chunk = max(64, (512 << 10) / max(1, rowBytes))
        var units: [(fragment: Fragment, rows: Range<Int>)] = []
        for f in fragments where mask.fragments[f.id] != nil {
            var s = 0
            while s < f.physicalRows {
                let e = min(f.physicalRows, s + chunk)
                units.append((f, s ..< e))
                s = e
            }
        }
        if units.isEmpty || k == 0 { return [] }
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Contiguous groups of units per task: each task keeps its file readers open.
        let groups = min(width, units.count)
        var total = TopK(k: k)
        try await withThrowingTaskGroup(of: TopK.self) { group in
            for g in 0 ..< groups {
                let mine = stride(from: g, to: units.count, by: groups).map { units[$0] }
                group.addTask {
                    var top = TopK(k: k)
                    var readers: [UInt64: FragmentReader] = [:]
                    // Vectors stored as plain values are read straight into this one buffer (no
                    // allocation, no decode); other layouts are decoded.
                    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, chunk * rowBytes), alignment: 64)
                    defer { scratch.deallocate() }
                    for (f, rows) in mine {
                        let base = f.id << 32 | UInt64(rows.lowerBound)
                        let holders = f.files(holding: column.field)
                        let key = holders.count == 1
                            ? VectorCache.Key(file: self.store.root + "/" + holders[0].objectPath, field: column.field.id,
                                              first: rows.lowerBound, count: rows.count)
                            : nil
                        if let key, let hit = cache.lookup(key) {
                            Dataset.score(UnsafeRawBufferPointer(hit.bytes), count: rows.count, isNull: nil, column: column,
                                          query: query, metric: metric, baseAddress: base, mask: mask, into: &top)
                            continue
                        }
                        // Read into cache memory when the unit is admitted, else into the scratch buffer.
                        let slot = key.flatMap { cache.reserve($0, byteCount: rows.count * rowBytes) }
                        var filled = false
                        defer { if let key, let slot, !filled { cache.abandon(key, slot) } }
                        var reader = readers[f.id] ?? FragmentReader(dataset: self, fragment: f)
                        if let plan = try await reader.fixedWidthRanges(column.field, rows: rows) {
                            guard plan.valueBytes == rowBytes else {
                                throw LanceError(.internal, "vector column `\(column.name)` stores \(plan.valueBytes)-byte values, expected \(rowBytes)",
                                                 column: column.name)
                            }
                            var row = 0
                            for range in plan.ranges {
                                let n = Int(range.count) / rowBytes
                                guard n * rowBytes == Int(range.count), row + n <= rows.count else {
                                    throw LanceError(.corruptFile, "vector column `\(column.name)`: pages of \(range.count) bytes do not fit rows \(rows) of \(rowBytes)-byte values",
                                                     path: plan.object.path, column: column.name)
                                }
                                let at = base &+ UInt64(row)
                                // Straight into place (one copy, no allocation); else a plain read and a copy.
                                let target = slot.map { $0.bytes.baseAddress! + row * rowBytes } ?? scratch.baseAddress!
                                let dst = UnsafeMutableRawBufferPointer(start: target, count: Int(range.count))
                                if try !plan.object.read(range, into: dst) {
                                    let b = try await plan.object.read(range)
                                    b.withUnsafeBytes { raw in dst.copyMemory(from: raw) }
                                }
                                Dataset.score(UnsafeRawBufferPointer(dst), count: n, isNull: nil, column: column, query: query,
                                              metric: metric, baseAddress: at, mask: mask, into: &top)
                                row += n
                            }
                            if let key, let slot, row == rows.count {
                                cache.publish(key, slot)
                                filled = true
                            }
                        } else {
                            let arrays = try await reader.decode([column.field], .range(rows))
                            try Dataset.score(arrays[0], column: column, query: query, metric: metric,
                                              baseAddress: base, mask: mask, into: &top)
                            // Vectors without nulls can be kept as plain values.
                            if let key, let slot, arrays[0].nullCount == 0, arrays[0].children.count == 1,
                               let values = arrays[0].children[0].buffers.first, values.count >= slot.byteCount {
                                values.withUnsafeBytes { raw in
                                    slot.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0 ..< slot.byteCount]))
                                }
                                cache.publish(key, slot)
                                filled = true
                            }
                        }
                        readers[f.id] = reader
                    }
                    return top
                }
            }
            for try await t in group { total.merge(t) }
        }
        return total.sorted()
    }

    /// Distances from `query` to each row of a decoded vector column, pushed into `top` for allowed, non-null rows.
    static func score(_ array: ArrayData, column: VectorColumn, query: [Float], metric: DistanceMetric,
                      baseAddress: UInt64, mask: RowMask, into top: inout TopK) throws {
        let n = array.count, dim = column.dim
        guard n > 0 else { return }
        guard array.children.count == 1, let buf = array.children[0].buffers.first,
              buf.count >= n * dim * (column.itemType.byteWidth ?? 4) else {
            throw LanceError(.internal, "vector column `\(column.name)` decoded short", column: column.name)
        }
        let nulls: ((Int) -> Bool)? = array.nullCount > 0 ? { array.isNull($0) } : nil
        buf.withUnsafeBytes { raw in
            score(raw, count: n, isNull: nulls, column: column, query: query, metric: metric, baseAddress: baseAddress,
                  mask: mask, into: &top)
        }
    }

    /// ``score(_:column:query:metric:baseAddress:mask:into:)`` over `count` raw vectors at the start of `raw`.
    static func score(_ raw: UnsafeRawBufferPointer, count n: Int, isNull: ((Int) -> Bool)?, column: VectorColumn,
                      query: [Float], metric: DistanceMetric, baseAddress: UInt64, mask: RowMask, into top: inout TopK) {
        let dim = column.dim
        precondition(raw.count >= n * dim * (column.itemType.byteWidth ?? 4), "vector buffer too small")
        var dist = [Float](repeating: .nan, count: n)
        query.withUnsafeBufferPointer { q in
            dist.withUnsafeMutableBufferPointer { out in
                switch column.itemType {
                case .float32:
                    let v = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Float.self), count: n * dim)
                    DistanceKernels.batch(metric, query: q, vectors: v, dim: dim, out: out)
                case .float16:
                    let v = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt16.self), count: n * dim)
                    DistanceKernels.batch(metric, query: q, halfVectors: v, dim: dim, out: out)
                default:
                    let v = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Double.self), count: n * dim)
                    let qd = q.map(Double.init)
                    qd.withUnsafeBufferPointer { qq in
                        DistanceKernels.batch(metric, query: qq, vectors: v, dim: dim, out: out)
                    }
                }
            }
        }
        let adjust: Float = metric == .dot ? 1 : 0  // the reference's dot distance is 1 − dot
        for i in 0 ..< n {
            let d = dist[i] + adjust
            guard d <= top.threshold else { continue }
            if let isNull, isNull(i) { continue }
            let a = baseAddress &+ UInt64(i)
            if mask.allows(a) { top.push(d, id: a) }
        }
    }

    /// Exact distances from `query` to the rows at `addresses` (NaN for a null vector), in order.
    func exactDistances(column: VectorColumn, query: [Float], metric: DistanceMetric,
                        addresses: [UInt64]) async throws -> [Float] {
        if addresses.isEmpty { return [] }
        let batch = try await take(rowAddresses: addresses, columns: [column.name])
        guard let array = batch.column(column.name) else { throw LanceError(.internal, "take lost the vector column") }
        var out = [Float](repeating: .nan, count: addresses.count)
        var top = TopK(k: addresses.count)
        // Score with positions as ids, then scatter back.
        let all = RowMask(fragments: [0: .all(addresses.count)])
        try Dataset.score(array, column: column, query: query, metric: metric, baseAddress: 0, mask: all, into: &top)
        for n in top.sorted() { out[Int(n.id)] = n.distance }
        return out
    }
}
