import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto
import SwiftProtobuf
import Synchronization

/// An IVF vector index (IVF_PQ or IVF_FLAT) loaded from `_indices/<uuid>/index.idx` and `auxiliary.idx`, in the
/// layout pylance 14 writes: index.idx holds the IVF centroids (global buffer named by the `lance:ivf` schema
/// metadata) and `lance:index` = {"type", "distance_type"}; auxiliary.idx holds `_rowid` plus `__pq_code`
/// (fixed_size_list<uint8, m>, transposed per partition) or `flat` vectors, sorted by partition, the partition
/// offsets/lengths in its own IVF buffer, and (PQ) the codebook tensor at `storage_metadata[0].codebook_position`.
final class LoadedVectorIndex: Sendable {
    enum Kind: Sendable { case pq, flat }

    let uuid: String
    let kind: Kind
    let metric: DistanceMetric
    let dim: Int
    let numPartitions: Int
    let centroids: [Float]
    let offsets: [Int]
    let lengths: [Int]
    /// Where the partitions' row ids and codes (PQ) or vectors (FLAT) are read from, the first time a query
    /// probes them.
    let source: PartitionSource
    /// The partitions loaded so far — row ids and PQ codes re-laid in blocks of eight rows (`PQ.blockCodes8`),
    /// or row ids and vectors.
    let partitions = Mutex<[Int: Partition]>([:])
    let numSubVectors: Int
    let codebook: [Float]
    /// The codebook as `[m][subDim][256]` (for the SIMD distance table).
    let codebookT: [Float]
    /// Fragments the index covers.
    let fragmentIds: Set<UInt64>

    init(uuid: String, kind: Kind, metric: DistanceMetric, dim: Int, centroids: [Float], offsets: [Int], lengths: [Int],
         source: PartitionSource, numSubVectors: Int, codebook: [Float], fragmentIds: Set<UInt64>) {
        self.uuid = uuid
        self.kind = kind
        self.metric = metric
        self.dim = dim
        self.numPartitions = offsets.count
        self.centroids = centroids
        self.offsets = offsets
        self.lengths = lengths
        self.source = source
        self.numSubVectors = numSubVectors
        self.codebook = codebook
        self.codebookT = numSubVectors > 0 && !codebook.isEmpty
            ? PQ.transposeCodebook(codebook, dim: dim, numSubVectors: numSubVectors, numCentroids: 256) : []
        self.fragmentIds = fragmentIds
    }

    /// The auxiliary file's `_rowid` and `__pq_code` (PQ) or `flat` (FLAT) columns, read a partition (a run of
    /// rows) at a time.
    struct PartitionSource: Sendable {
        let reader: LanceFileReader
        let columns: [Int32: Int]
        let idField: LanceField
        let valueField: LanceField
    }

    /// One loaded partition.
    struct Partition: Sendable {
        let rowIds: [UInt64]
        /// PQ: `PQ.blockCodes8` layout, `(count + 7) / 8` blocks of `8 × numSubVectors` bytes.
        var codes: [UInt8] = []
        /// FLAT: `count × dim` vectors.
        var vectors: [Float] = []
    }

    /// Reads the partitions of `parts` not loaded yet (pylance, too, reads only what a query probes).
    func loadPartitions(_ parts: [Int]) async throws {
        let missing = partitions.withLock { have in parts.filter { have[$0] == nil } }
        let m = numSubVectors
        for p in missing {
            let rows = offsets[p] ..< offsets[p] + lengths[p]
            let ids = try await source.reader.read(source.idField, columns: source.columns, rows: rows)
            guard ids.count == rows.count, ids.nullCount == 0, let idBuf = ids.buffers.first, idBuf.count >= rows.count * 8 else {
                throw LanceError.corrupt("bad `_rowid` values in partition \(p)", path: source.reader.path)
            }
            let arr = try await source.reader.read(source.valueField, columns: source.columns, rows: rows)
            let rowIds = idBuf.toArray(of: UInt64.self).prefix(rows.count).map { $0 }
            if kind == .flat {
                guard arr.count == rows.count, let child = arr.children.first, let buf = child.buffers.first,
                      buf.count >= rows.count * dim * 4 else {
                    throw LanceError.corrupt("`flat` vectors of partition \(p) decoded short", path: source.reader.path)
                }
                let part = Partition(rowIds: rowIds, vectors: Array(buf.toArray(of: Float.self).prefix(rows.count * dim)))
                partitions.withLock { $0[p] = part }
                continue
            }
            guard arr.count == rows.count, let child = arr.children.first, let buf = child.buffers.first,
                  buf.count >= rows.count * m else {
                throw LanceError.corrupt("`__pq_code` of partition \(p) decoded short", path: source.reader.path)
            }
            let n = rows.count, blockedCount = (n + 7) / 8 * 8 * m
            let blocked = [UInt8](unsafeUninitializedCapacity: blockedCount) { b, initialized in
                buf.withUnsafeBytes { raw in
                    // Stored transposed per partition (sub-vector major); blockCodes8 writes every byte.
                    PQ.blockCodes8(transposed: UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0 ..< n * m]),
                                   numSubVectors: m, count: n, into: UnsafeMutableBufferPointer(rebasing: b[0 ..< blockedCount]))
                }
                initialized = blockedCount
            }
            let part = Partition(rowIds: rowIds, codes: blocked)
            partitions.withLock { $0[p] = part }
        }
    }

    static let cache = Mutex<[String: LoadedVectorIndex]>([:])

    /// Loads (or returns the cached copy of) the index `uuid` of `dataset`.
    static func load(dataset: Dataset, uuid: String, column: VectorColumn, fragmentIds: [UInt32]) async throws
        -> LoadedVectorIndex
    {
        let key = dataset.store.root + "|" + uuid
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let loaded = try await read(dataset: dataset, uuid: uuid, column: column,
                                    fragmentIds: Set(fragmentIds.map(UInt64.init)))
        cache.withLock { $0[key] = loaded }
        return loaded
    }

    static func json(_ text: String?, path: String, what: String) throws -> Any {
        guard let text, let data = text.data(using: .utf8),
              let v = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw LanceError.corrupt("index metadata `\(what)` is missing or not JSON", path: path)
        }
        return v
    }

    static func globalBuffer(_ r: LanceFileReader, key: String?, path: String) async throws -> Buffer {
        guard let key, let i = Int(key), i >= 0, i < r.globalBuffers.count else {
            throw LanceError.corrupt("index file names global buffer `\(key ?? "")`, which it does not have", path: path)
        }
        guard r.globalBuffers[i].size <= UInt64(r.object.size) else {
            throw LanceError.corrupt("index global buffer \(i) is larger than the file", path: path)
        }
        return try await r.globalBuffer(i)
    }

    static func floats(_ t: Lance_Index_Pb_Tensor, count: Int, path: String, what: String) throws -> [Float] {
        let data = [UInt8](t.data)
        func need(_ width: Int) throws {
            guard data.count == count * width else {
                throw LanceError.corrupt("\(what) tensor has \(data.count) bytes, expected \(count) values", path: path)
            }
        }
        switch t.dataType {
        case .float32:
            try need(4)
            return data.withUnsafeBytes { raw in (0 ..< count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        case .float64:
            try need(8)
            return data.withUnsafeBytes { raw in (0 ..< count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) } }
        case .float16:
            try need(2)
            return data.withUnsafeBytes { raw in
                (0 ..< count).map { DistanceKernels.halfToFloat(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            }
        default:
            throw LanceError.unsupported("\(what) tensor of type \(t.dataType) is not supported", path: path)
        }
    }

    static func read(dataset: Dataset, uuid: String, column: VectorColumn, fragmentIds: Set<UInt64>) async throws
        -> LoadedVectorIndex
    {
        let dir = "_indices/" + uuid
        // index.idx: type, metric, centroids.
        let indexReader = try await LanceFileReader.open(try await dataset.store.open(dir + "/index.idx"))
        let ip = indexReader.path
        let imeta = try indexReader.schema().metadata
        guard let info = try json(imeta["lance:index"], path: ip, what: "lance:index") as? [String: Any],
              let type = info["type"] as? String else {
            throw LanceError.corrupt("index metadata `lance:index` has no type", path: ip)
        }
        let kind: Kind
        switch type.uppercased() {
        case "IVF_PQ": kind = .pq
        case "IVF_FLAT": kind = .flat
        default: throw LanceError.unsupported("vector index type \(type) is not supported", path: ip)
        }
        guard let metricName = info["distance_type"] as? String, let metric = DistanceMetric(name: metricName) else {
            throw LanceError.unsupported("index distance type `\(info["distance_type"] ?? "")` is not supported", path: ip)
        }
        let ivf = try Lance_Index_Pb_IVF(serializedBytes: try await globalBuffer(indexReader, key: imeta["lance:ivf"], path: ip).bytes)
        let dim = column.dim
        let p: Int
        let centroids: [Float]
        if ivf.hasCentroidsTensor {
            let shape = ivf.centroidsTensor.shape
            guard shape.count == 2, Int(shape[1]) == dim, shape[0] > 0 else {
                throw LanceError.corrupt("IVF centroids have shape \(shape), expected [partitions, \(dim)]", path: ip)
            }
            p = Int(shape[0])
            centroids = try floats(ivf.centroidsTensor, count: p * dim, path: ip, what: "IVF centroids")
        } else {
            guard !ivf.centroids.isEmpty, ivf.centroids.count % dim == 0 else {
                throw LanceError.corrupt("IVF centroids do not match the dimension \(dim)", path: ip)
            }
            p = ivf.centroids.count / dim
            centroids = ivf.centroids
        }
        // auxiliary.idx: partitions, row ids, codes / vectors, codebook.
        let auxReader = try await LanceFileReader.open(try await dataset.store.open(dir + "/auxiliary.idx"))
        let ap = auxReader.path
        let aschema = try auxReader.schema()
        let ameta = aschema.metadata
        let auxIVF = try Lance_Index_Pb_IVF(serializedBytes: try await globalBuffer(auxReader, key: ameta["lance:ivf"], path: ap).bytes)
        guard auxIVF.offsets.count == p, auxIVF.lengths.count == p else {
            throw LanceError.corrupt("auxiliary IVF has \(auxIVF.lengths.count) partitions, the index \(p)", path: ap)
        }
        let total = Int(auxReader.rowCount)
        var offsets: [Int] = [], lengths: [Int] = []
        for i in 0 ..< p {
            let o = auxIVF.offsets[i], l = UInt64(auxIVF.lengths[i])
            guard o <= UInt64(total), l <= UInt64(total) - o else {
                throw LanceError.corrupt("partition \(i) (offset \(o), length \(l)) exceeds \(total) rows", path: ap)
            }
            offsets.append(Int(o))
            lengths.append(Int(l))
        }
        let columns = try auxReader.defaultColumnMap()
        guard let idField = aschema.fields.first(where: { $0.name == "_rowid" }), idField.type == .uint64 else {
            throw LanceError.corrupt("auxiliary index file has no uint64 `_rowid` column", path: ap)
        }
        let source: PartitionSource
        var codebook: [Float] = [], m = 0
        switch kind {
        case .pq:
            guard let list = try json(ameta["storage_metadata"], path: ap, what: "storage_metadata") as? [Any],
                  let first = list.first as? String,
                  let sm = try json(first, path: ap, what: "storage_metadata[0]") as? [String: Any] else {
                throw LanceError.corrupt("PQ storage metadata is malformed", path: ap)
            }
            let nbits = (sm["nbits"] as? Int) ?? 8
            guard nbits == 8 else { throw LanceError.unsupported("\(nbits)-bit PQ codes are not supported", path: ap) }
            guard let ms = sm["num_sub_vectors"] as? Int, let d = sm["dimension"] as? Int, d == dim, ms > 0, dim % ms == 0 else {
                throw LanceError.corrupt("PQ storage metadata does not match the column's dimension \(dim)", path: ap)
            }
            if let transposed = sm["transposed"] as? Bool, !transposed {
                throw LanceError.unsupported("non-transposed PQ storage is not supported", path: ap)
            }
            m = ms
            let position = (sm["codebook_position"] as? Int).map(String.init)
            let cb = try Lance_Index_Pb_Tensor(serializedBytes: try await globalBuffer(auxReader, key: position, path: ap).bytes)
            guard cb.shape.count == 2, cb.shape[0] == 256, Int(cb.shape[1]) == dim else {
                throw LanceError.corrupt("PQ codebook has shape \(cb.shape), expected [256, \(dim)]", path: ap)
            }
            codebook = try floats(cb, count: 256 * dim, path: ap, what: "PQ codebook")
            do {
                try PQ.validate(dim: dim, numSubVectors: m, numCentroids: 256, codebookCount: codebook.count)
            } catch {
                throw LanceError.corrupt(error.description, path: ap)
            }
            guard let codeField = aschema.fields.first(where: { $0.name == "__pq_code" }),
                  case .fixedSizeList(let item, let n) = codeField.type, item.type == .uint8, n == m else {
                throw LanceError.corrupt("auxiliary index file has no `__pq_code` fixed_size_list<uint8, \(m)>", path: ap)
            }
            source = PartitionSource(reader: auxReader, columns: columns, idField: idField, valueField: codeField)
        case .flat:
            guard let flatField = aschema.fields.first(where: { $0.name == "flat" }),
                  let (d, item) = VectorColumn.isVector(flatField.type), d == dim, item == .float32 else {
                throw LanceError.corrupt("auxiliary index file has no `flat` fixed_size_list<float32, \(dim)>", path: ap)
            }
            source = PartitionSource(reader: auxReader, columns: columns, idField: idField, valueField: flatField)
        }
        return LoadedVectorIndex(uuid: uuid, kind: kind, metric: metric, dim: dim, centroids: centroids, offsets: offsets,
                                 lengths: lengths, source: source, numSubVectors: m, codebook: codebook,
                                 fragmentIds: fragmentIds)
    }

    /// The `nprobes` partitions whose centroids are nearest the (normalised, for cosine) query, nearest first, with
    /// the centroid distance (squared L2, or −dot).
    func probe(_ q: [Float], nprobes: Int) -> [(partition: Int, distance: Float)] {
        var top = TopK(k: min(max(1, nprobes), numPartitions))
        q.withUnsafeBufferPointer { qp in
            centroids.withUnsafeBufferPointer { c in
                for i in 0 ..< numPartitions {
                    let cv = c.baseAddress! + i * dim
                    let d = metric == .dot ? -DistanceKernels.dot(qp.baseAddress!, cv, count: dim)
                        : DistanceKernels.l2Squared(qp.baseAddress!, cv, count: dim)
                    top.push(d, id: UInt64(i))
                }
            }
        }
        return top.sorted().map { (Int($0.id), $0.distance) }
    }

    /// Per-partition index-only terms of the residual L2 table (see `PQ.partitionTerms`), computed on first use and
    /// kept while the cache holds at most `partitionTermBudget` floats.
    private let partitionTermCache = Mutex<[Int: [Float]]>([:])
    private static let partitionTermBudget = 16 << 20

    private func partitionTerms(_ part: Int, scratch: inout [Float]) -> [Float]? {
        if let hit = partitionTermCache.withLock({ $0[part] }) { return hit }
        let m = numSubVectors
        var terms = [Float](repeating: 0, count: m * 256)
        centroids.withUnsafeBufferPointer { c in codebookT.withUnsafeBufferPointer { cb in
            terms.withUnsafeMutableBufferPointer { t in
                PQ.partitionTerms(centroid: UnsafeBufferPointer(rebasing: c[(part * dim) ..< ((part + 1) * dim)]),
                                  transposedCodebook: cb, numSubVectors: m, numCentroids: 256, into: t)
            } } }
        let kept = partitionTermCache.withLock { cache -> Bool in
            if cache.count * m * 256 + terms.count > Self.partitionTermBudget { return false }
            cache[part] = terms
            return true
        }
        if kept { return terms }
        scratch = terms
        return nil
    }

    /// Rows of probed partitions above which one query's scan is split over the cores.
    static let parallelRows = 16_384

    /// Approximate k-nearest among the probed partitions' rows allowed by `mask`. Result ids are the index's row
    /// ids, or the row addresses `addressOf` maps them to (rows it lacks are skipped): `mask` takes the same ids.
    /// Distances: the PQ estimate (IVF_PQ) or the exact distance (IVF_FLAT), in the reference's units.
    /// Large scans are split over the available cores (partitions dealt out by size), then the top-k merged.
    func search(_ query: [Float], nprobes: Int, k: Int, mask: RowMask,
                addressOf: [UInt64: UInt64]? = nil) async throws -> [Neighbor] {
        var q = query
        if metric == .cosine {
            let n = DistanceKernels.dot(q, q).squareRoot()
            if n > 0 { q = q.map { $0 / n } }
        }
        let parts = probe(q, nprobes: nprobes).filter { lengths[$0.partition] > 0 }
        if parts.isEmpty || k == 0 { return [] }
        try await loadPartitions(parts.map(\.partition))
        // PQ: the query's part of the table, once per query (the whole table for dot).
        var qterms: [Float] = []
        if kind == .pq {
            let m = numSubVectors
            qterms = [Float](repeating: 0, count: m * 256)
            q.withUnsafeBufferPointer { qp in codebookT.withUnsafeBufferPointer { cb in
                qterms.withUnsafeMutableBufferPointer { t in
                    PQ.queryTerms(query: qp, transposedCodebook: cb, numSubVectors: m, numCentroids: 256,
                                  scale: metric == .dot ? -1 : -2, into: t)
                } } }
        }
        let totalRows = parts.reduce(0) { $0 + lengths[$1.partition] }
        let width = min(parts.count, totalRows >= Self.parallelRows
            ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1)
        if width <= 1 { return scan(parts[...], q: q, qterms: qterms, k: k, mask: mask, addressOf: addressOf).sorted() }
        // Deal partitions out largest first to the least-loaded group.
        var groups = [[(partition: Int, distance: Float)]](repeating: [], count: width)
        var load = [Int](repeating: 0, count: width)
        for p in parts.sorted(by: { lengths[$0.partition] > lengths[$1.partition] }) {
            let g = load.indices.min(by: { load[$0] < load[$1] })!
            groups[g].append(p)
            load[g] += lengths[p.partition]
        }
        let first = groups[0]
        let frozenQ = q, frozenTerms = qterms
        return await withTaskGroup(of: TopK.self) { group in
            for g in groups.dropFirst() {
                group.addTask { self.scan(g[...], q: frozenQ, qterms: frozenTerms, k: k, mask: mask, addressOf: addressOf) }
            }
            var top = scan(first[...], q: frozenQ, qterms: frozenTerms, k: k, mask: mask, addressOf: addressOf)
            for await t in group { top.merge(t) }
            return top.sorted()
        }
    }

    /// Scores the rows of `parts` into a top-k.
    func scan(_ parts: ArraySlice<(partition: Int, distance: Float)>, q: [Float], qterms: [Float], k: Int,
              mask: RowMask, addressOf: [UInt64: UInt64]?) -> TopK {
        var top = TopK(k: k)
        let m = numSubVectors
        let adjust: Float = metric == .dot ? 1 : 0
        var table = [Float](repeating: 0, count: kind == .pq ? m * 256 : 0)
        var scratch: [Float] = []
        let maxLen = parts.reduce(0) { max($0, lengths[$1.partition]) }
        var dist = [Float](repeating: 0, count: maxLen)
        let loaded = partitions.withLock { $0 }
        for (part, centroidDistance) in parts {
            let n = lengths[part]
            guard let data = loaded[part], data.rowIds.count == n else { continue }  // loaded by search() before the scan
            let ids = data.rowIds
            switch kind {
            case .pq:
                var base: Float = adjust
                let tableSource: [Float]
                if metric == .dot {
                    tableSource = qterms
                } else {
                    let terms = partitionTerms(part, scratch: &scratch) ?? scratch
                    terms.withUnsafeBufferPointer { a in qterms.withUnsafeBufferPointer { b in
                        table.withUnsafeMutableBufferPointer { t in PQ.addTables(a, b, into: t) } } }
                    tableSource = table
                    base += centroidDistance  // ‖q − c_p‖², the sub-spaces' residual norms summed
                }
                tableSource.withUnsafeBufferPointer { t in
                    data.codes.withUnsafeBufferPointer { c in
                        dist.withUnsafeMutableBufferPointer { out in
                            PQ.adcBlocked8(table: t, numSubVectors: m, codes: c, count: n, base: base, out: out)
                        }
                    }
                }
            case .flat:
                q.withUnsafeBufferPointer { qp in
                    data.vectors.withUnsafeBufferPointer { v in
                        dist.withUnsafeMutableBufferPointer { out in
                            DistanceKernels.batch(metric, query: qp, vectors: v,
                                                  dim: dim, out: UnsafeMutableBufferPointer(rebasing: out[0 ..< n]))
                        }
                    }
                }
                if adjust != 0 { for i in 0 ..< n { dist[i] += adjust } }
            }
            dist.withUnsafeBufferPointer { d in ids.withUnsafeBufferPointer { ids in
                var threshold = top.threshold
                for i in 0 ..< n {
                    let x = d[i]
                    guard x <= threshold else { continue }
                    var id = ids[i]
                    if let addressOf {
                        guard let a = addressOf[id] else { continue }
                        id = a
                    }
                    if mask.allows(id) {
                        top.push(x, id: id)
                        threshold = top.threshold
                    }
                } } }
        }
        return top
    }
}
