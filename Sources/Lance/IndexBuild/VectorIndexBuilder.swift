import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto
import SwiftProtobuf

extension Dataset {
    /// Builds a vector index (IVF_PQ or IVF_FLAT) on the fixed-size-list column `column` and commits it
    /// as a new version, in the on-disk form pylance 14 reads (`_indices/<uuid>/index.idx` and
    /// `auxiliary.idx`, index metadata in the manifest, a `create_index` transaction).
    ///
    /// Null vectors are left out of the index. Throws `invalidInput` for a missing or non-vector
    /// column, bad parameters, or too few vectors; `alreadyExists` when an index of that name exists
    /// and `options.replace` is false.
    public func createIndex(column: String, options: VectorIndexOptions = VectorIndexOptions()) async throws -> Dataset {
        let builder = try VectorIndexBuilder(dataset: self, column: column, options: options)
        return try await builder.run()
    }

    /// ``createIndex(column:options:)`` gathering at most `flatGroupBytes` of IVF_FLAT vectors per pass (tests).
    func createIndex(column: String, options: VectorIndexOptions, flatGroupBytes: Int) async throws -> Dataset {
        var builder = try VectorIndexBuilder(dataset: self, column: column, options: options)
        builder.flatGroupBytes = max(1, flatGroupBytes)
        return try await builder.run()
    }

    /// Convenience for ``createIndex(column:options:)``.
    public func createIndex(column: String, type: VectorIndexType, metric: IndexMetric = .l2,
                            numPartitions: Int? = nil, numSubVectors: Int? = nil, name: String? = nil,
                            replace: Bool = false) async throws -> Dataset {
        try await createIndex(column: column, options: VectorIndexOptions(
            type: type, metric: metric, numPartitions: numPartitions, numSubVectors: numSubVectors, name: name,
            replace: replace))
    }
}

/// Runs `count` jobs with at most one task per core at a time; results in job order.
enum ParallelJobs {
    static var width: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    static func map<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
        if count == 0 { return [] }
        if count == 1 || width == 1 { return (0 ..< count).map(body) }
        return await withTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            while next < min(width, count) {
                let i = next
                group.addTask { (i, body(i)) }
                next += 1
            }
            while let (i, r) = await group.next() {
                results[i] = r
                if next < count {
                    let j = next
                    group.addTask { (j, body(j)) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}

/// The vectors of one column held in memory: row ids and `n × dim` floats.
struct VectorRows: Sendable {
    var rowIds: [UInt64] = []
    var values: [Float] = []
    let dim: Int
    var count: Int { rowIds.count }
}

struct VectorIndexBuilder: Sendable {
    let dataset: Dataset
    let column: String
    let field: LanceField
    let dim: Int
    let options: VectorIndexOptions
    let name: String
    let replaced: [Lance_Table_IndexMetadata]
    let seed: UInt64
    /// IVF_FLAT: bytes of vectors gathered per pass when writing them grouped by partition.
    var flatGroupBytes = 256 << 20

    static let pqSampleRows = 256 * 256

    init(dataset: Dataset, column: String, options: VectorIndexOptions) throws {
        guard let f = dataset.lanceSchema.field(named: column) else {
            throw LanceError(.invalidInput, "no column named `\(column)` (columns: \(dataset.lanceSchema.fields.map(\.name).joined(separator: ", ")))",
                             column: column)
        }
        guard case .fixedSizeList(let item, let n) = f.type, n > 0,
              [DataType.float16, .float32, .float64].contains(item.type)
        else {
            throw LanceError(.invalidInput, "column `\(column)` is \(f.type), not a vector column (fixed_size_list of float16/float32/float64)",
                             column: column)
        }
        self.dataset = dataset
        self.column = column
        field = f
        dim = n
        self.options = options
        let indexName = options.name ?? column + "_idx"
        name = indexName
        guard !indexName.isEmpty else { throw LanceError.invalid("the index name is empty") }
        let same = dataset.indexMetadata.filter { $0.name == indexName }
        if !same.isEmpty, !options.replace {
            throw LanceError(.alreadyExists, "an index named `\(indexName)` already exists (set replace to rebuild it)")
        }
        replaced = same
        guard options.maxIterations >= 1 else { throw LanceError.invalid("max_iterations must be at least 1") }
        guard options.sampleRate >= 1 else { throw LanceError.invalid("sample_rate must be at least 1") }
        if let p = options.numPartitions, p < 1 { throw LanceError.invalid("num_partitions must be at least 1, got \(p)") }
        if options.type == .ivfPQ {
            let m = options.numSubVectors ?? VectorIndexBuilder.defaultSubVectors(dim: n)
            guard m >= 1, n % m == 0 else {
                throw LanceError.invalid("num_sub_vectors (\(m)) must divide the dimension \(n)")
            }
        }
        seed = options.seed ?? UInt64.random(in: 0 ... UInt64.max)
    }

    static func defaultSubVectors(dim: Int) -> Int {
        if dim % 16 == 0 { return dim / 16 }
        if dim % 8 == 0 { return dim / 8 }
        return 1
    }

    func report(_ stage: IndexBuildProgress.Stage, _ done: Int, _ total: Int) {
        options.progress?(IndexBuildProgress(stage: stage, completed: done, total: total))
    }

    /// Both index types stream the column and never hold it whole: row ids (and the count of non-null
    /// vectors), then the training samples, then assignment (and PQ encoding) batch by batch, keeping only
    /// partitions and codes. IVF_FLAT, whose index stores every vector grouped by partition, then reads the
    /// column again once per group of partitions' worth of `flatGroupBytes` (see ``writeFlat``).
    func run() async throws -> Dataset {
        let total = try await dataset.countRows()
        let flat = options.type != .ivfPQ
        // Pass 1: row ids of the non-null vectors.
        var rowIds = [UInt64]()
        rowIds.reserveCapacity(total)
        report(.reading, 0, total)
        try await forEachBatch(values: false) { batch in
            rowIds += batch.rowIds
            report(.reading, rowIds.count, total)
        }
        let count = rowIds.count
        var p = options.numPartitions ?? max(1, total / (options.type == .ivfPQ ? 8192 : 4096))
        // As pylance 14: IVF_PQ trains at most one partition per 256 vectors.
        if options.type == .ivfPQ { p = min(p, max(1, count / 256)) }
        guard count >= p else {
            throw LanceError.invalid("cannot train \(p) partitions from \(count) vectors")
        }
        let m = options.numSubVectors ?? VectorIndexBuilder.defaultSubVectors(dim: dim)
        let pqRows = min(count, VectorIndexBuilder.pqSampleRows * options.sampleRate / 256)
        if !flat, pqRows < ProductQuantizer.numCentroids {
            throw LanceError.invalid("PQ training needs at least \(ProductQuantizer.numCentroids) vectors, the column has \(count)")
        }
        // Pass 2: the training samples.
        let ivfPicks = samplePositions(count, count: min(count, p * options.sampleRate), salt: 1)
        let pqPicks = flat ? [] : samplePositions(count, count: pqRows, salt: 2)
        var ivfSample = [Float](), pqSample = [Float]()
        ivfSample.reserveCapacity(ivfPicks.count * dim)
        pqSample.reserveCapacity(pqPicks.count * dim)
        var seen = 0, i1 = 0, i2 = 0
        try await forEachBatch { batch in
            let n = batch.count
            while i1 < ivfPicks.count, ivfPicks[i1] < seen + n {
                appendFinite(batch.values, row: ivfPicks[i1] - seen, to: &ivfSample); i1 += 1
            }
            while i2 < pqPicks.count, pqPicks[i2] < seen + n {
                appendFinite(batch.values, row: pqPicks[i2] - seen, to: &pqSample); i2 += 1
            }
            seen += n
        }
        guard seen == count else {
            throw LanceError(.internal, "the vector column read \(seen) rows, then \(count)", column: column)
        }
        // IVF.
        report(.trainingIVF, 0, options.maxIterations)
        var trainer = KMeansTrainer(data: ivfSample, dim: dim, k: p, metric: options.metric.clusterMetric, seed: seed,
                                    maxIterations: options.maxIterations)
        ivfSample = []
        while !trainer.isDone {
            let t = trainer, it = trainer.iteration()
            let partials = await ParallelJobs.map(t.chunkCount) { t.partial(chunk: $0, iteration: it) }
            trainer.finishIteration(partials)
            report(.trainingIVF, trainer.iterations, options.maxIterations)
        }
        let ivf = trainer.table()
        let loss = trainer.loss
        // PQ.
        var trainedPQ: ProductQuantizer?
        if !flat {
            var train = pqSample
            pqSample = []
            if options.metric.usesResiduals { subtractCentroids(&train, table: ivf) }
            let data = train, dim = self.dim, iters = options.maxIterations, seed = self.seed
            let done = Counter()
            report(.trainingPQ, 0, m)
            let parts = await ParallelJobs.map(m) { s in
                let r = KMeansTrainer.train(data: ProductQuantizer.subVectors(data, dim: dim, numSubVectors: m, m: s),
                                            dim: dim / m, k: ProductQuantizer.numCentroids, metric: .l2,
                                            seed: seed &+ 0x5051 &+ UInt64(s), maxIterations: iters).centroids
                self.report(.trainingPQ, done.increment(), m)
                return r
            }
            trainedPQ = ProductQuantizer.assemble(dim: dim, numSubVectors: m, centroids: parts)
        }
        let pq = trainedPQ
        // Pass 3: assign every vector (and encode it), batch by batch.
        var partitions = [UInt32]()
        partitions.reserveCapacity(count)
        var codes = [UInt8]()
        codes.reserveCapacity(count * (pq?.numSubVectors ?? 0))
        report(.encoding, 0, count)
        try await forEachBatch { batch in
            for r in await assign(batch, ivf: ivf, pq: pq, done: partitions.count, of: count) {
                partitions += r.partitions
                codes += r.codes
            }
        }
        guard partitions.count == count else {
            throw LanceError(.internal, "the vector column read \(count) rows, then \(partitions.count)", column: column)
        }
        if let pq {
            report(.writing, 0, 2)
            return try await write(rowIds: rowIds, partitions: partitions, codes: codes, ivf: ivf, loss: loss, pq: pq)
        }
        return try await writeFlat(rowIds: rowIds, partitions: partitions, ivf: ivf, loss: loss)
    }

    /// Partitions (and PQ codes) of `rows`, in 4,096-row chunks on every core, in row order.
    func assign(_ rows: VectorRows, ivf: CentroidTable, pq: ProductQuantizer?,
                done: Int, of all: Int) async -> [(partitions: [UInt32], codes: [UInt8])] {
        let chunk = 4096
        let chunks = (rows.count + chunk - 1) / chunk
        let encoded = Counter()
        let total = done
        return await ParallelJobs.map(chunks) { c -> (partitions: [UInt32], codes: [UInt8]) in
            let start = c * chunk, n = min(chunk, rows.count - start)
            var part = [UInt32](repeating: 0, count: n)
            var codes = [UInt8]()
            rows.values.withUnsafeBufferPointer { vp in
                let base = vp.baseAddress! + start * self.dim
                part.withUnsafeMutableBufferPointer { pp in
                    ivf.assign(base, stride: self.dim, count: n, membership: pp.baseAddress!, distances: nil)
                }
                if let pq {
                    codes = [UInt8](repeating: 0, count: n * pq.numSubVectors)
                    if self.options.metric.usesResiduals {
                        var resid = Array(UnsafeBufferPointer(start: base, count: n * self.dim))
                        VectorIndexBuilder.subtract(&resid, membership: part, table: ivf)
                        resid.withUnsafeBufferPointer { rp in
                            codes.withUnsafeMutableBufferPointer { cp in
                                pq.encode(rp.baseAddress!, stride: self.dim, count: n, into: cp.baseAddress!)
                            }
                        }
                    } else {
                        codes.withUnsafeMutableBufferPointer { cp in
                            pq.encode(base, stride: self.dim, count: n, into: cp.baseAddress!)
                        }
                    }
                }
            }
            let now = encoded.add(n)
            self.report(.encoding, total + now, all)
            return (part, codes)
        }
    }

    // MARK: - Reading

    /// Rows per batch of a streaming pass (about 96 MB of 768-d float32 vectors).
    static let batchRows = 32_768

    /// Streams the column in row order: each batch's non-null vectors as float32 (unit length for
    /// cosine) with their row ids (`values: false`: the row ids only).
    func forEachBatch(values: Bool = true, _ body: (VectorRows) async throws -> Void) async throws {
        for try await batch in dataset.scan(columns: [column], withRowId: true, batchSize: VectorIndexBuilder.batchRows) {
            guard let col = batch.column(column), let ids = batch.column(VirtualColumn.rowId) else {
                throw LanceError(.internal, "scan did not return `\(column)` and row ids")
            }
            var rows = VectorRows(dim: dim)
            rows.rowIds.reserveCapacity(batch.count)
            if !values {
                let idBuf = ids.buffers[0]
                for r in 0 ..< col.count where !col.isNull(r) { rows.rowIds.append(idBuf.load(UInt64.self, at: r)) }
                try await body(rows)
                continue
            }
            rows.values.reserveCapacity(batch.count * dim)
            try VectorIndexBuilder.append(col, ids: ids, dim: dim, to: &rows)
            if options.metric == .cosine { normalize(&rows) }
            try await body(rows)
        }
    }

    static func append(_ col: ArrayData, ids: ArrayData, dim: Int, to out: inout VectorRows) throws {
        guard col.children.count == 1 else { throw LanceError(.internal, "vector column without items") }
        let items = col.children[0]
        guard items.count >= col.count * dim, let buf = items.buffers.first else {
            throw LanceError(.internal, "vector column items are short")
        }
        guard [DataType.float32, .float64, .float16].contains(items.type) else {
            throw LanceError(.internal, "unexpected vector item type \(items.type)")
        }
        let idBuf = ids.buffers[0]
        let live = (0 ..< col.count).filter { !col.isNull($0) }
        var at = out.values.count
        out.values.append(contentsOf: repeatElement(0, count: live.count * dim))
        buf.withUnsafeBytes { raw in
            out.values.withUnsafeMutableBufferPointer { v in
                for r in live {
                    out.rowIds.append(idBuf.load(UInt64.self, at: r))
                    copyRow(raw, type: items.type, row: r, dim: dim, into: v.baseAddress! + at)
                    at += dim
                }
            }
        }
    }

    /// Row `r` of a vector column's items (float32, float64 or float16) as `dim` float32 values at `out`.
    static func copyRow(_ raw: UnsafeRawBufferPointer, type: DataType, row r: Int, dim: Int, into out: UnsafeMutablePointer<Float>) {
        switch type {
        case .float32:
            out.update(from: raw.baseAddress!.assumingMemoryBound(to: Float.self) + r * dim, count: dim)
        case .float64:
            for k in 0 ..< dim { out[k] = Float(raw.loadUnaligned(fromByteOffset: (r * dim + k) * 8, as: Double.self)) }
        default:
            for k in 0 ..< dim { out[k] = DistanceKernels.halfToFloat(raw.loadUnaligned(fromByteOffset: (r * dim + k) * 2, as: UInt16.self)) }
        }
    }

    /// Scales the `dim` values at `v` to unit length (a zero vector stays as it is).
    static func normalizeRow(_ v: UnsafeMutablePointer<Float>, dim: Int) {
        let s = DistanceKernels.normSquared(v, count: dim)
        guard s > 0 else { return }
        let inv = 1 / s.squareRoot()
        for k in 0 ..< dim { v[k] *= inv }
    }

    func normalize(_ rows: inout VectorRows) {
        let dim = self.dim, n = rows.count
        rows.values.withUnsafeMutableBufferPointer { v in
            for r in 0 ..< n { VectorIndexBuilder.normalizeRow(v.baseAddress! + r * dim, dim: dim) }
        }
    }

    /// `count` of `n` row positions chosen at random (all when `count` covers them), ascending.
    func samplePositions(_ n: Int, count: Int, salt: UInt64) -> [Int] {
        if count >= n { return Array(0 ..< n) }
        var rng = SeededGenerator(seed: seed ^ (salt &* 0x9E37_79B9_7F4A_7C15))
        var swaps: [Int: Int] = [:]
        var picked: [Int] = []
        picked.reserveCapacity(count)
        for i in 0 ..< count {
            let j = i + Int(rng.next() % UInt64(n - i))
            let vj = swaps[j] ?? j
            swaps[j] = swaps[i] ?? i
            picked.append(vj)
        }
        return picked.sorted()
    }

    /// Appends row `r` of `values` unless it holds a NaN or infinity (they would poison k-means).
    func appendFinite(_ values: [Float], row r: Int, to out: inout [Float]) {
        values.withUnsafeBufferPointer { v in
            let row = UnsafeBufferPointer(rebasing: v[r * dim ..< (r + 1) * dim])
            if row.allSatisfy({ $0.isFinite }) { out.append(contentsOf: row) }
        }
    }

    func subtractCentroids(_ data: inout [Float], table: CentroidTable) {
        let (membership, _) = table.assign(data)
        VectorIndexBuilder.subtract(&data, membership: membership, table: table)
    }

    static func subtract(_ data: inout [Float], membership: [UInt32], table: CentroidTable) {
        let dim = table.dim
        table.centroids.withUnsafeBufferPointer { c in
            data.withUnsafeMutableBufferPointer { v in
                for r in 0 ..< membership.count {
                    let cb = Int(membership[r]) * dim
                    for d in 0 ..< dim { v[r * dim + d] -= c[cb + d] }
                }
            }
        }
    }

    // MARK: - Writing

    /// Stable counting sort by partition: each partition's row count and first row in the grouped order.
    static func partitionLayout(_ partitions: [UInt32], k: Int) -> (lengths: [Int], offsets: [Int]) {
        var lengths = [Int](repeating: 0, count: k)
        for x in partitions { lengths[Int(x)] += 1 }
        var offsets = [Int](repeating: 0, count: k)
        for i in 1 ..< max(1, k) { offsets[i] = offsets[i - 1] + lengths[i - 1] }
        return (lengths, offsets)
    }

    /// The IVF_PQ files: row ids and transposed codes grouped by partition, in memory (a few bytes a row).
    func write(rowIds allIds: [UInt64], partitions: [UInt32], codes: [UInt8], ivf: CentroidTable, loss: Double,
               pq: ProductQuantizer) async throws -> Dataset {
        let p = ivf.k
        let (lengths, offsets) = VectorIndexBuilder.partitionLayout(partitions, k: p)
        var order = [Int](repeating: 0, count: partitions.count)
        var cursor = offsets
        for (r, x) in partitions.enumerated() {
            order[cursor[Int(x)]] = r
            cursor[Int(x)] += 1
        }
        let rowIds = order.map { allIds[$0] }

        let uuid = UUID()
        let dir = "_indices/" + uuid.uuidString.lowercased()

        // auxiliary.idx
        var ivfAux = Lance_Index_Pb_IVF()
        ivfAux.offsets = offsets.map(UInt64.init)
        ivfAux.lengths = lengths.map(UInt32.init)
        var auxMeta: [String: String] = ["lance:ivf": "1", "distance_type": options.metric.rawValue]
        let ms = pq.numSubVectors
        var stored = [UInt8](repeating: 0, count: codes.count)
        // Per partition, codes sub-vector-major ("transposed").
        for part in 0 ..< p {
            let n = lengths[part], o = offsets[part]
            for i in 0 ..< n {
                let src = order[o + i] * ms
                for s in 0 ..< ms { stored[o * ms + s * n + i] = codes[src + s] }
            }
        }
        let payload = ArrayData.fixedSizeList(.primitive(.uint8, values: stored), size: ms)
        let auxFields = [Field("_rowid", .uint64), Field("__pq_code", payload.type)]
        let storage = "{\"codebook_position\":2,\"nbits\":8,\"num_sub_vectors\":\(ms),\"dimension\":\(dim),\"codebook_tensor\":[],\"transposed\":true}"
        auxMeta["storage_metadata"] = jsonArray([storage])
        let auxSchema = Schema(auxFields, metadata: auxMeta)
        let auxBatch = try RecordBatch(schema: auxSchema, columns: [.primitive(.uint64, values: rowIds), payload])
        var t = Lance_Index_Pb_Tensor()
        t.dataType = .float32
        t.shape = [UInt32(ProductQuantizer.numCentroids), UInt32(dim)]
        t.data = pq.codebook.withUnsafeBytes { Data($0) }
        let auxBuffers: [[UInt8]] = [try ivfAux.serializedBytes(), try t.serializedBytes()]
        let auxBytes = try await VectorIndexBuilder.lanceFile(schema: auxSchema, batch: auxBatch, globalBuffers: auxBuffers)
        try await dataset.store.put(dir + "/auxiliary.idx", auxBytes)
        report(.writing, 1, 2)
        let indexSize = try await writeIndexFile(dir: dir, ivf: ivf, loss: loss)
        report(.writing, 2, 2)
        return try await commit(uuid: uuid, auxSize: auxBytes.count, indexSize: indexSize)
    }

    /// The IVF_FLAT files. `auxiliary.idx` holds every vector grouped by partition; it is written in the
    /// pages a single batch of the whole column would get (so the bytes do not depend on the memory budget),
    /// streaming to the store. The vectors are gathered in groups of at most `flatGroupBytes` of consecutive
    /// output rows, one read of the column per group.
    func writeFlat(rowIds: [UInt64], partitions: [UInt32], ivf: CentroidTable, loss: Double) async throws -> Dataset {
        let n = partitions.count, dim = self.dim
        let (lengths, offsets) = VectorIndexBuilder.partitionLayout(partitions, k: ivf.k)
        // rank[r]: where vector r (in scan order) goes in the partition-grouped output.
        var rank = [Int](repeating: 0, count: n)
        var sortedIds = [UInt64](repeating: 0, count: n)
        var cursor = offsets
        for (r, x) in partitions.enumerated() {
            let d = cursor[Int(x)]
            rank[r] = d
            sortedIds[d] = rowIds[r]
            cursor[Int(x)] += 1
        }

        let uuid = UUID()
        let dir = "_indices/" + uuid.uuidString.lowercased()
        var ivfAux = Lance_Index_Pb_IVF()
        ivfAux.offsets = offsets.map(UInt64.init)
        ivfAux.lengths = lengths.map(UInt32.init)
        let flatType = ArrayData.fixedSizeList(.primitive(.float32, values: [Float]()), size: dim).type
        let auxSchema = Schema([Field("_rowid", .uint64), Field("flat", flatType, nullable: false)], metadata: [
            "lance:ivf": "1", "distance_type": options.metric.rawValue,
            "storage_metadata": jsonArray(["{\"dim\":\(dim)}"]),
        ])
        let auxPath = dir + "/auxiliary.idx"
        // Written in place (a fresh directory nothing refers to yet); removed again if the build fails.
        let auxSize: Int
        do {
            let writer = try LanceFileWriter(object: try await Dataset.dataSink(store: dataset.store, path: auxPath),
                                             schema: LanceSchema(assigningIdsTo: auxSchema), version: .v2_2)
            _ = await writer.addGlobalBuffer(try ivfAux.serializedBytes())

            // The pages (and their order) the writer gives one batch of both columns: a column of at least a
            // page size is split into equal pages as it arrives, smaller ones are written by `finish`.
            let pageSize = writer.options.pageSize
            func rowsPerPage(_ bytes: Int) -> Int {
                let pages = max(1, (bytes + pageSize - 1) / pageSize)
                return max(1, (n + pages - 1) / pages)
            }
            let idBytes = n * 8, vecBytes = n * dim * 4
            let idPage = rowsPerPage(idBytes), vecPage = rowsPerPage(vecBytes)
            let idsFirst = idBytes >= pageSize || vecBytes < pageSize
            func writeIds() async throws {
                for start in stride(from: 0, to: n, by: idPage) {
                    let ids = Array(sortedIds[start ..< min(n, start + idPage)])
                    try await writer.writePage(field: 0, .primitive(.uint64, values: ids))
                }
            }
            if idsFirst { try await writeIds() }

            let groupRows = max(1, flatGroupBytes / (dim * 4))
            var page = [Float]()
            page.reserveCapacity(min(n, vecPage) * dim)
            var written = 0
            report(.writing, 0, n)
            var first = 0
            while first < n {
                let end = min(n, first + groupRows), lo = first
                var group = [Float](repeating: 0, count: (end - first) * dim)
                let (seen, found) = try await gather(into: &group, rank: rank, rows: lo ..< end)
                guard seen == n, found == end - first else {
                    throw LanceError(.internal, "the vector column read \(n) rows, then \(seen)", column: column)
                }
                // Cut the group into the file's pages (a page may straddle groups).
                var i = 0
                while i < end - first {
                    let take = min(vecPage - page.count / dim, end - first - i)
                    page.append(contentsOf: group[(i * dim) ..< ((i + take) * dim)])
                    i += take
                    let rows = page.count / dim
                    if rows == vecPage || written + rows == n {
                        try await writer.writePage(field: 1, .fixedSizeList(.primitive(.float32, values: page), size: dim))
                        written += rows
                        page.removeAll(keepingCapacity: true)
                    }
                }
                first = end
            }
            if !idsFirst { try await writeIds() }
            auxSize = Int(try await writer.finish().size)
            try Dataset.syncIfLocal(store: dataset.store, path: auxPath)
        } catch {
            try? await dataset.store.delete(auxPath)
            throw error
        }
        let indexSize = try await writeIndexFile(dir: dir, ivf: ivf, loss: loss)
        report(.writing, n, n)
        return try await commit(uuid: uuid, auxSize: auxSize, indexSize: indexSize)
    }

    /// Rows per batch of a gathering pass: small batches, so that the allocator reuses their buffers.
    static let gatherBatchRows = 8192

    /// One read of the column: copies the vectors whose output position (`rank`, by non-null vector in
    /// scan order) is in `rows` into `group` (row `rows.lowerBound` first), as float32, unit length for
    /// cosine — the values ``forEachBatch(values:_:)`` gives. Returns the vectors seen and copied.
    func gather(into group: inout [Float], rank: [Int], rows: Range<Int>) async throws -> (seen: Int, found: Int) {
        let dim = self.dim, cosine = options.metric == .cosine
        var seen = 0, found = 0
        for try await batch in dataset.scan(columns: [column], batchSize: VectorIndexBuilder.gatherBatchRows) {
            guard let col = batch.column(column), col.children.count == 1 else {
                throw LanceError(.internal, "scan did not return the vectors of `\(column)`")
            }
            let items = col.children[0]
            guard items.count >= col.count * dim, let buf = items.buffers.first else {
                throw LanceError(.internal, "vector column items are short")
            }
            guard [DataType.float32, .float64, .float16].contains(items.type) else {
                throw LanceError(.internal, "unexpected vector item type \(items.type)")
            }
            guard seen + col.count - col.nullCount <= rank.count else {
                throw LanceError(.internal, "the vector column grew while the index was built", column: column)
            }
            buf.withUnsafeBytes { raw in
                group.withUnsafeMutableBufferPointer { dst in
                    for r in 0 ..< col.count where !col.isNull(r) {
                        let d = rank[seen]
                        seen += 1
                        guard rows.contains(d) else { continue }
                        let out = dst.baseAddress! + (d - rows.lowerBound) * dim
                        VectorIndexBuilder.copyRow(raw, type: items.type, row: r, dim: dim, into: out)
                        if cosine { VectorIndexBuilder.normalizeRow(out, dim: dim) }
                        found += 1
                    }
                }
            }
            report(.writing, rows.lowerBound + found, rank.count)
        }
        return (seen, found)
    }

    /// `index.idx`: no rows; the IVF centroids in a global buffer; returns its size.
    func writeIndexFile(dir: String, ivf: CentroidTable, loss: Double) async throws -> Int {
        let p = ivf.k
        var ivfIndex = Lance_Index_Pb_IVF()
        var ct = Lance_Index_Pb_Tensor()
        ct.dataType = .float32
        ct.shape = [UInt32(p), UInt32(dim)]
        ct.data = ivf.centroids.withUnsafeBytes { Data($0) }
        ivfIndex.centroidsTensor = ct
        ivfIndex.offsets = [UInt64](repeating: 0, count: p)
        ivfIndex.lengths = [UInt32](repeating: 0, count: p)
        ivfIndex.loss = loss
        let indexSchema = Schema([Field("__flat_marker", .uint64, nullable: false)], metadata: [
            "lance:ivf": "1",
            "lance:index": "{\"type\":\"\(options.type.rawValue)\",\"distance_type\":\"\(options.metric.rawValue)\"}",
            "lance:flat": jsonArray([String](repeating: "", count: p)),
        ])
        let indexBytes = try await VectorIndexBuilder.lanceFile(schema: indexSchema, batch: nil,
                                                                globalBuffers: [try ivfIndex.serializedBytes()])
        try await dataset.store.put(dir + "/index.idx", indexBytes)
        return indexBytes.count
    }

    /// Commits the new index (replacing any of the same name).
    func commit(uuid: UUID, auxSize: Int, indexSize: Int) async throws -> Dataset {
        let meta = try indexMetadata(uuid: uuid, files: [("auxiliary.idx", auxSize), ("index.idx", indexSize)])
        return try await Committer.commit(store: dataset.store, uri: dataset.uri, readVersion: dataset.version,
                                          operation: .createIndex(new: [meta], removed: replaced))
    }

    func jsonArray(_ strings: [String]) -> String {
        "[" + strings.map { s -> String in
            var o = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": o += "\\\""
                case "\\": o += "\\\\"
                default: o.unicodeScalars.append(ch)
                }
            }
            return o + "\""
        }.joined(separator: ",") + "]"
    }

    /// A Lance 2.2 file in memory: the schema (ids numbered from 0), one batch, extra global buffers 1, 2, ….
    static func lanceFile(schema: Schema, batch: RecordBatch?, globalBuffers: [[UInt8]]) async throws -> [UInt8] {
        let sink = MemoryFileSink()
        let writer = try LanceFileWriter(object: sink, schema: LanceSchema(assigningIdsTo: schema), version: .v2_2)
        for b in globalBuffers { _ = await writer.addGlobalBuffer(b) }
        if let batch { try await writer.write(batch) }
        _ = try await writer.finish()
        return await sink.bytes
    }

    /// The manifest entry of the new index, with pylance 14's fields (including the file list, field 10).
    func indexMetadata(uuid: UUID, files: [(String, Int)]) throws -> Lance_Table_IndexMetadata {
        var m = Lance_Table_IndexMetadata()
        m.uuid.uuid = withUnsafeBytes(of: uuid.uuid) { Data($0) }
        m.fields = [field.id]
        m.name = name
        m.datasetVersion = dataset.version
        m.fragmentBitmap = Data(RoaringBitmap(dataset.fragments.map { UInt32(truncatingIfNeeded: $0.id) }).serialized())
        var details = ProtoWriter()
        if options.metric.protoValue != 0 { details.varintField(1, UInt64(options.metric.protoValue)) }
        if options.type == .ivfPQ {
            var pqd = ProtoWriter()
            pqd.varintField(1, 8)
            pqd.varintField(2, UInt64(options.numSubVectors ?? VectorIndexBuilder.defaultSubVectors(dim: dim)))
            details.bytesField(4, pqd.bytes)
        } else {
            details.bytesField(8, [])
        }
        var params: [(String, String)] = [
            ("lance.ivf.max_iters", "\(options.maxIterations)"),
            ("lance.ivf.sample_rate", "\(options.sampleRate)"),
            ("lance.ivf.shuffle_partition_batches", "10240"),
            ("lance.ivf.shuffle_partition_concurrency", "2"),
            ("lance.skip_transpose", "false"),
        ]
        if options.type == .ivfPQ {
            params += [("lance.pq.kmeans_redos", "1"), ("lance.pq.max_iters", "\(options.maxIterations)"),
                       ("lance.pq.sample_rate", "\(options.sampleRate)")]
        }
        for (k, v) in params.sorted(by: { $0.0 < $1.0 }) {
            var e = ProtoWriter()
            e.bytesField(1, Array(k.utf8))
            e.bytesField(2, Array(v.utf8))
            details.bytesField(9, e.bytes)
        }
        var any = Google_Protobuf_Any()
        any.typeURL = "/lance.index.pb.VectorIndexDetails"
        any.value = Data(details.bytes)
        m.indexDetails = any
        m.indexVersion = 1
        m.createdAt = UInt64(Date().timeIntervalSince1970 * 1000)
        // Field 10 (the index's files and sizes) is not in our .proto: append it and let decoding keep it
        // as an unknown field, which serialisation writes back.
        var bytes: [UInt8] = try m.serializedBytes()
        var tail = ProtoWriter()
        for (path, size) in files {
            var f = ProtoWriter()
            f.bytesField(1, Array(path.utf8))
            f.varintField(2, UInt64(size))
            tail.bytesField(10, f.bytes)
        }
        bytes += tail.bytes
        return try Lance_Table_IndexMetadata(serializedBytes: bytes)
    }
}

/// A minimal protobuf writer for messages our .proto files do not describe.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func varintField(_ number: Int, _ v: UInt64) {
        varint(UInt64(number) << 3)
        varint(v)
    }

    mutating func bytesField(_ number: Int, _ b: [UInt8]) {
        varint(UInt64(number) << 3 | 2)
        varint(UInt64(b.count))
        bytes += b
    }
}

/// A thread-safe counter for progress reports.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int { add(1) }

    func add(_ n: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += n
        return value
    }
}
